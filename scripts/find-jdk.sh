#!/usr/bin/env bash
# Prints the home of a JDK >= 25, looking at $JAVA_HOME, /usr/lib/jvm/* and `java` on PATH.
# Exits 1 with a message naming every place it looked when there is none.
set -u
want=25
version_of() { # java binary -> major version
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}
ok() { local v; v=$(version_of "$1/bin/java" 2>/dev/null); [ -n "$v" ] && [ "${v%%.*}" -ge "$want" ] 2>/dev/null; }
looked=()
if [ -n "${JAVA_HOME:-}" ]; then
    looked+=("JAVA_HOME=$JAVA_HOME")
    if [ -x "$JAVA_HOME/bin/java" ] && ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
fi
for d in /usr/lib/jvm/*; do
    [ -x "$d/bin/java" ] || continue
    looked+=("$d")
    if ok "$d"; then echo "$d"; exit 0; fi
done
if j=$(command -v java 2>/dev/null); then
    home=$(cd "$(dirname "$(readlink -f "$j")")/.." && pwd)
    looked+=("PATH: $j")
    if ok "$home"; then echo "$home"; exit 0; fi
fi
{
    echo "jqemu: no JDK $want or newer found. Looked at:"
    for l in "${looked[@]:-nothing (no JAVA_HOME, no /usr/lib/jvm/*, no java on PATH)}"; do echo "  $l"; done
    echo "Install one (e.g. Temurin 25) or set JAVA_HOME to it."
} >&2
exit 1
