#!/usr/bin/env bash
# Makes sure a local RabbitMQ accepts AMQP connections on 127.0.0.1:5672.
#
#   - already listening: nothing to do;
#   - installed but stopped: start it (rabbitmq-server -detached);
#   - missing: install it with apt-get when running as root, otherwise print the
#     exact command to run and fail;
# then wait (bounded) until it accepts connections, and enable the plugins the
# agent uses. Used by `make run`, `make test` and .ci/run.
set -euo pipefail

HOST=${RABBITMQ_HOST:-127.0.0.1}
PORT=${RABBITMQ_PORT:-5672}
WAIT=${RABBITMQ_WAIT:-90}
PLUGINS=(rabbitmq_consistent_hash_exchange)

say() { echo "rabbitmq.sh: $*" >&2; }

listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

if ! listening; then
	if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			say "RabbitMQ is not installed: installing it with apt-get"
			export DEBIAN_FRONTEND=noninteractive
			apt-get update -qq
			apt-get install -y -qq rabbitmq-server >/dev/null
		else
			say "RabbitMQ is not installed. Install it with:"
			say "  sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached"
			exit 1
		fi
	fi
	if ! listening; then
		say "starting rabbitmq-server"
		if [ "$(id -u)" = 0 ]; then
			PATH=$PATH:/usr/sbin rabbitmq-server -detached || true
		else
			say "not root: run 'sudo rabbitmq-server -detached' if this times out"
		fi
	fi
fi

deadline=$((SECONDS + WAIT))
until listening; do
	if [ $SECONDS -ge $deadline ]; then
		say "RabbitMQ did not accept connections on $HOST:$PORT within ${WAIT}s"
		exit 1
	fi
	sleep 0.5
done

if [ "$(id -u)" = 0 ] && command -v rabbitmqctl >/dev/null 2>&1; then
	timeout "$WAIT" rabbitmqctl -q await_startup >/dev/null 2>&1 || say "rabbitmqctl await_startup failed (continuing)"
	for p in "${PLUGINS[@]}"; do
		if ! rabbitmq-plugins -q list -e "$p" 2>/dev/null | grep -q "$p"; then
			timeout 60 rabbitmq-plugins -q enable "$p" >/dev/null || say "could not enable plugin $p"
		fi
	done
fi
say "RabbitMQ is up on $HOST:$PORT"
