package org.jqemu.system.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;

class NetBackendsTest {
    private static String error(String value) {
        try (NetBackends n = new NetBackends(Runnable::run)) {
            return assertThrows(ConfigException.class, () -> n.open(Opts.parse("-netdev " + value, value, "type")))
                    .getMessage();
        }
    }

    @Test
    void unsupportedAndBadNetdevsAreClearErrors() {
        assertEquals("-netdev user,id=n: netdev type 'user' is not supported yet", error("user,id=n"));
        assertEquals("-netdev bogus,id=n: Parameter 'type' does not accept value 'bogus'", error("bogus,id=n"));
        assertEquals("-netdev socket,id=n: exactly one of listen= and connect= is needed", error("socket,id=n"));
        assertEquals("-netdev socket,id=n,connect=127.0.0.1:x: port 'x' is not a number from 0 to 65535",
                error("socket,id=n,connect=127.0.0.1:x"));
        assertEquals("-netdev stream,id=n,addr.type=inet,addr.host=127.0.0.1: Parameter 'addr.port' is missing",
                error("stream,id=n,addr.type=inet,addr.host=127.0.0.1"));
    }

    @Test
    void connectionRefusedNamesTheAddress() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String msg = error("socket,id=n,connect=127.0.0.1:" + port);
        assertEquals(true, msg.startsWith("-netdev socket,id=n,connect=127.0.0.1:" + port + ": could not connect to "), msg);
    }
}
