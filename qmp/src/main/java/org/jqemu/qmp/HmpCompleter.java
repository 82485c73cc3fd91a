package org.jqemu.qmp;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.Opts;

/**
 * Tab completion in the human monitor, as QEMU's: the command name, then its first argument where
 * HMP knows the choices: {@code info} and {@code help} subcommands, the device ids
 * {@code device_del} takes, and the network client names {@code set_link} takes. The line editor
 * filters the choices by what is typed.
 */
final class HmpCompleter implements Completer {
    /** How long Tab waits for the machine's device list (the dispatcher may run a command). */
    private static final long LOOKUP_MS = 2000;

    private final QmpMonitor monitor;

    HmpCompleter(QmpMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        for (String choice : choices(line.line().substring(0, line.cursor()))) {
            candidates.add(new Candidate(choice));
        }
    }

    /** What may stand in the word under the cursor, given the text before it. */
    List<String> choices(String before) {
        String[] words = before.stripLeading().split("\\s+", -1);
        if (words.length == 1) {
            return Hmp.commandNames();
        }
        if (words.length > 2) {
            return List.of();
        }
        return switch (words[0]) {
            case "info" -> Hmp.infoNames();
            case "help", "?" -> Hmp.commandNames();
            case "device_del" -> onDispatcher(() -> deviceIds(monitor.machine()));
            case "set_link" -> onDispatcher(() -> netClients(monitor.machine()));
            default -> List.of();
        };
    }

    /** The machine's lists change on the dispatcher (hotplug), so they are read there too. */
    private List<String> onDispatcher(Supplier<List<String>> lookup) {
        CompletableFuture<List<String>> answer = new CompletableFuture<>();
        monitor.dispatch(this, () -> {
            try {
                answer.complete(lookup.get());
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        try {
            return answer.get(LOOKUP_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (ExecutionException | TimeoutException e) {
            return List.of(); // nothing to offer beats a stuck Tab
        }
    }

    static List<String> deviceIds(Machine machine) {
        List<String> ids = new ArrayList<>();
        for (Device d : machine.devices()) {
            if (d.id() != null && !d.id().isEmpty()) {
                ids.add(d.id());
            }
        }
        return ids;
    }

    /** NICs (by id, else QEMU's "driver.N") and the netdevs behind them, as {@code info network} names them. */
    static List<String> netClients(Machine machine) {
        Set<String> names = new LinkedHashSet<>();
        int index = 0;
        for (Opts dev : machine.config().devices) {
            if (dev.getString("netdev", null) != null) {
                names.add(dev.getString("id", dev.getString("driver", "?") + "." + index));
                index++;
            }
        }
        for (Opts nd : machine.config().netdevs) {
            String id = nd.getString("id", null);
            if (id != null) {
                names.add(id);
            }
        }
        return new ArrayList<>(names);
    }
}
