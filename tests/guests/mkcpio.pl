#!/usr/bin/perl
# Writes a newc ("070701") cpio archive of a directory tree to stdout, the format the Linux
# kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/buffer-format.rst).
#
#   mkcpio.pl ROOTDIR [NODE ...] > initrd.cpio
#   NODE = path:type:mode:major:minor   e.g. dev/console:c:0600:5:1
#
# Why not cpio(1): it is not installed on a fresh Debian, and as non-root it cannot create the
# /dev/console node the kernel opens for init's stdio before devtmpfs is mounted. This writer
# needs only perl-base (Essential in Debian), stores every entry as root:root, a fixed mtime and
# sorted names, so the same tree gives byte-identical archives.
use strict;
use warnings;
use Fcntl ':mode';

my ($root, @nodes) = @ARGV;
die "usage: mkcpio.pl ROOTDIR [path:type:mode:major:minor ...]\n" unless defined $root && -d $root;
binmode STDOUT;
my $ino = 1;
my $out_len = 0;

sub emit {
    my ($name, $mode, $nlink, $data, $rmaj, $rmin) = @_;
    my $hdr = sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
        $ino++, $mode, 0, 0, $nlink, 0, length($data), 0, 0, $rmaj, $rmin, length($name) + 1, 0);
    my $buf = $hdr . $name . "\0";
    $buf .= "\0" x ((4 - length($buf) % 4) % 4);
    $buf .= $data;
    $buf .= "\0" x ((4 - length($data) % 4) % 4);
    print $buf or die "mkcpio: write failed: $!\n";
    $out_len += length($buf);
}

sub walk {
    my ($rel) = @_;
    my $path = $rel eq '' ? $root : "$root/$rel";
    opendir(my $dh, $path) or die "mkcpio: cannot read $path: $!\n";
    my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir($dh);
    closedir($dh);
    for my $n (@names) {
        my $r = $rel eq '' ? $n : "$rel/$n";
        my $p = "$root/$r";
        my @st = lstat($p) or die "mkcpio: cannot stat $p: $!\n";
        my $perm = $st[2] & 07777;
        if (S_ISLNK($st[2])) {
            my $target = readlink($p) // die "mkcpio: readlink $p: $!\n";
            emit($r, S_IFLNK | 0777, 1, $target, 0, 0);
        } elsif (S_ISDIR($st[2])) {
            emit($r, S_IFDIR | $perm, 2, '', 0, 0);
            walk($r);
        } elsif (S_ISREG($st[2])) {
            open(my $fh, '<:raw', $p) or die "mkcpio: cannot open $p: $!\n";
            local $/;
            my $data = <$fh> // '';
            close($fh);
            emit($r, S_IFREG | $perm, 1, $data, 0, 0);
        } else {
            die "mkcpio: unsupported file type: $p\n";
        }
    }
}

walk('');
for my $spec (@nodes) {
    my ($path, $type, $mode, $maj, $min) = split /:/, $spec;
    die "mkcpio: bad node spec '$spec'\n" unless defined $min && $type =~ /^[cb]$/;
    emit($path, ($type eq 'c' ? S_IFCHR : S_IFBLK) | oct($mode), 1, '', $maj, $min);
}
emit('TRAILER!!!', 0, 1, '', 0, 0);
# Pad to a 512-byte boundary like cpio(1) does.
print "\0" x ((512 - $out_len % 512) % 512);
