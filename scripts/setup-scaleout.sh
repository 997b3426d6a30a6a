#!/usr/bin/env bash
# The scale-out launcher's load balancer (deploy/stack.py): Debian's nginx, installed with apt
# if missing; and Debian's docker-compose, with which the tests check deploy/compose.yml (no
# container engine runs here); and promtool from Debian's prometheus package, with which the
# tests check the alert rules (deploy/prometheus/). It is never started as a system service: the launcher runs its own unprivileged
# nginx on loopback in a temporary prefix. (Debian 12's nginx-light is only a transitional
# package that pulls in nginx; the nginx package is the same binary.)
set -euo pipefail

if { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && command -v docker-compose >/dev/null \
    && command -v promtool >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-scaleout: install Debian's nginx, docker-compose and prometheus (apt-get install nginx docker-compose prometheus) as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Installing must not start a system nginx on port 80: policy-rc.d (exit 101) forbids it for
# the duration of the install unless the machine already has its own policy.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
# prometheus: only for its promtool; policy-rc.d keeps its service from starting too.
apt-get install -y -qq --no-install-recommends nginx docker-compose prometheus >/dev/null
