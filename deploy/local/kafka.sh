#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft, broker+controller) from Apache Kafka's Maven Central artifacts,
# in its own JVM, on loopback. Topics are never auto-created: Allerta creates them explicitly.
#
# Usage: deploy/local/kafka.sh install|start|stop|restart|status|clean|bootstrap
# Environment:
#   ALLERTA_KAFKA_PORT             client port (default 19092)
#   ALLERTA_KAFKA_CONTROLLER_PORT  controller port (default client port + 1)
#   ALLERTA_KAFKA_HEAP             broker heap (default 1g)
#   ALLERTA_KAFKA_LIB              where the broker jars go (default <repo>/.allerta/kafka-lib)
#   ALLERTA_STATE_DIR              state, PID and log (default <repo>/.allerta); data in $ALLERTA_STATE_DIR/kafka
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$ALLERTA_STATE_DIR/kafka"
# A broker started before keeps its ports unless told otherwise.
PORT="${ALLERTA_KAFKA_PORT:-$(cat "$DIR/port" 2>/dev/null || echo 19092)}"
CONTROLLER_PORT="${ALLERTA_KAFKA_CONTROLLER_PORT:-$(cat "$DIR/controller-port" 2>/dev/null || echo $((PORT + 1)))}"
HEAP="${ALLERTA_KAFKA_HEAP:-1g}"
LIB="${ALLERTA_KAFKA_LIB:-$ALLERTA_ROOT/.allerta/kafka-lib}"
PID_FILE="$DIR/kafka.pid"
LOG="$DIR/kafka.log"

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

install() {
    if [ -f "$LIB/.complete" ]; then return 0; fi
    command -v java >/dev/null || fail "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)"
    mkdir -p "$LIB"
    say "Resolving the Kafka broker from Maven Central into $LIB ..."
    (
        flock 9
        if [ ! -f "$LIB/.complete" ]; then
            mvnw -q -B -f "$ALLERTA_ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
                -DoutputDirectory="$LIB" -DincludeScope=runtime >"$ALLERTA_STATE_DIR/kafka-install.log" 2>&1 \
                || { cat "$ALLERTA_STATE_DIR/kafka-install.log" >&2; fail "could not resolve the Kafka broker jars"; }
            touch "$LIB/.complete"
        fi
    ) 9>"$ALLERTA_STATE_DIR/.kafka-install.lock"
}

write_config() {
    mkdir -p "$DIR/data"
    cat >"$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=60000
PROPS
    cat >"$DIR/log4j2.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="out" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{ISO8601} %-5p [%c{1}] %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="WARN"/>
    <Logger name="org.apache.kafka" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
XML
}

running_pid() { pid_from "$PID_FILE"; }

start() {
    local pid
    if pid="$(running_pid)"; then
        say "Kafka already running (pid $pid) on 127.0.0.1:$(cat "$DIR/port" 2>/dev/null || echo "$PORT")"
        return 0
    fi
    port_open "$PORT" && fail "port $PORT is taken by another process: set ALLERTA_KAFKA_PORT"
    install
    write_config
    if [ ! -f "$DIR/data/meta.properties" ]; then
        java -cp "$LIB/*" -Dlog4j2.configurationFile="$DIR/log4j2.xml" kafka.tools.StorageTool format \
            -t "$(java -cp "$LIB/*" -Dlog4j2.configurationFile="$DIR/log4j2.xml" kafka.tools.StorageTool random-uuid)" \
            -c "$DIR/server.properties" >>"$LOG" 2>&1 || { tail -20 "$LOG" >&2; fail "could not format the Kafka storage"; }
    fi
    nohup java -Xms256m -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$DIR/log4j2.xml" -cp "$LIB/*" \
        kafka.Kafka "$DIR/server.properties" >>"$LOG" 2>&1 </dev/null &
    pid=$!
    write_pid "$PID_FILE" "$pid"
    echo "$PORT" >"$DIR/port"
    echo "$CONTROLLER_PORT" >"$DIR/controller-port"
    if ! wait_for_port "$PORT" 60 "$pid"; then
        tail -30 "$LOG" >&2
        stop_pid "$pid" kafka 10
        rm -f "$PID_FILE"
        fail "Kafka did not start (log: $LOG)"
    fi
    say "Kafka started (pid $pid) on 127.0.0.1:$PORT"
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        stop_pid "$pid" kafka 30
        say "Kafka stopped (pid $pid)"
    fi
    rm -f "$PID_FILE"
}

status() {
    local pid
    if pid="$(running_pid)"; then
        say "kafka      running  pid $pid  127.0.0.1:$(cat "$DIR/port" 2>/dev/null || echo "$PORT")  log $LOG"
    else
        say "kafka      stopped"
        return 3
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    clean) stop; rm -rf "$DIR"; say "Kafka data removed ($DIR)" ;;
    bootstrap) echo "127.0.0.1:$(cat "$DIR/port" 2>/dev/null || echo "$PORT")" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
