#!/usr/bin/perl
# boot-timer.pl - runs one emulator command and times a Linux boot from the outside.
#
# Usage: boot-timer.pl TIMEOUT_S LOGFILE COMMAND [ARGS...]
# Prints one line: "MARKER_WALL MARKER_CPU EXIT_WALL EXIT_CPU STATUS" (seconds; "-" when the
# marker never appeared). The command's console output (stdout and stderr) goes to LOGFILE.
# Wall time starts just before exec; CPU time is user + system of the process and all its
# threads, read from /proc/PID/stat when the marker line arrives and from the reaped child's
# rusage at exit. The command is exec'd directly (no shell), so PID is the emulator itself.
use strict;
use warnings;
use Time::HiRes qw(time);
use POSIX qw(:sys_wait_h sysconf _SC_CLK_TCK);

my ($limit, $logfile, @cmd) = @ARGV;
die "usage: boot-timer.pl TIMEOUT_S LOGFILE COMMAND...\n" unless @cmd;
my $marker = $ENV{BOOT_MARKER} // 'JQEMU-GUEST-BOOTED';
my $tck = sysconf(_SC_CLK_TCK) || 100;

open(my $log, '>', $logfile) or die "boot-timer.pl: $logfile: $!\n";
$log->autoflush(1);
pipe(my $rd, my $wr) or die "pipe: $!\n";
my $t0 = time;
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
    close $rd;
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>&', $wr);
    open(STDERR, '>&', $wr);
    exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!\n";
}
close $wr;

sub proc_cpu {  # user + system seconds of a live process, all threads
    open(my $f, '<', "/proc/$_[0]/stat") or return undef;
    my $s = <$f>;
    close $f;
    $s =~ s/^.*\) //;    # the command name may contain spaces
    my @v = split ' ', $s;
    return ($v[11] + $v[12]) / $tck;    # fields 14 and 15 (utime, stime)
}

my ($mwall, $mcpu) = ('-', '-');
my $buf = '';
my $deadline = $t0 + $limit;
my $rin = '';
vec($rin, fileno($rd), 1) = 1;
while (1) {
    my $left = $deadline - time;
    if ($left <= 0) {
        kill 'KILL', $pid;
        last;
    }
    my $n = select(my $rout = $rin, undef, undef, $left);
    next if $n <= 0;
    my $got = sysread($rd, my $chunk, 65536);
    last if !$got;
    print $log $chunk;
    if ($mwall eq '-') {
        $buf .= $chunk;
        if (index($buf, $marker) >= 0) {
            $mwall = sprintf '%.3f', time - $t0;
            my $c = proc_cpu($pid);
            $mcpu = defined $c ? sprintf('%.2f', $c) : '-';
        }
        $buf = substr($buf, -length($marker)) if length($buf) > 4096;
    }
}
# Reap and take the child's own resource usage (covers all its threads).
my ($u0, $s0, $cu0, $cs0) = times;
waitpid($pid, 0);
my $status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
my $ewall = sprintf '%.3f', time - $t0;
my ($u1, $s1, $cu1, $cs1) = times;
my $ecpu = sprintf '%.2f', ($cu1 - $cu0) + ($cs1 - $cs0);
print "$mwall $mcpu $ewall $ecpu $status\n";
