# Sourced by the commands in this folder: sets JAVA_HOME to a JDK >= 21 (the one already set if
# it qualifies, else the first under /usr/lib/jvm) and puts it first on PATH.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME" 2>/dev/null || echo 0)" -lt 21 ]; then
  JAVA_HOME=""
  for jdk in /usr/lib/jvm/*; do
    [ -x "$jdk/bin/javac" ] || continue
    if [ "$(java_major "$jdk" 2>/dev/null || echo 0)" -ge 21 ]; then JAVA_HOME="$jdk"; break; fi
  done
  [ -n "$JAVA_HOME" ] || { echo "no JDK >= 21 found (set JAVA_HOME)" >&2; exit 1; }
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
