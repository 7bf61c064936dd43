# Sourced by run and chaos (from the repository root): builds the code unless the first argument
# is --no-build, installs the pinned Python tools, and runs a main class of the local stack.
# Usage: launch NAME MAIN_CLASS [--no-build] [ARGS...]
source infrastructure/bin/jdk.sh
launch() {
  local name="$1" main="$2"
  shift 2
  local build=yes
  if [ "${1:-}" = "--no-build" ]; then build=no; shift; fi
  bash infrastructure/bin/ensure-venv
  if [ "$(java_major "$JAVA_HOME")" -ge 24 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" # Maven 3.8's Guava on JDK 24+
  fi
  if [ "$build" = yes ]; then
    echo "$name: building (mvn package, tests skipped; JDK at $JAVA_HOME)"
    mvn -B -ntp -q -DskipTests package
  fi
  [ -f infrastructure/target/classpath.txt ] || { echo "$name: not built yet; run without --no-build" >&2; exit 1; }
  exec java -XX:+UseSerialGC -Dmailbatch.root="$PWD" \
    -cp "infrastructure/target/classes:$(cat infrastructure/target/classpath.txt)" "$main" "$@"
}
