#!/bin/sh
# A coding agent's hook command: pipes the hook JSON the agent writes to stdin to Bulwark's collector and
# prints Bulwark's answer (already in the agent's own format) on stdout.
#
#   bulwark-hook.sh claude-code    (or: cursor)
#
# BULWARK_URL (default http://127.0.0.1:4318), BULWARK_API_KEY (sent as a bearer token when set),
# BULWARK_HOOK_FAIL=open to let tool calls run when the collector cannot answer (default: closed, exit 2,
# which both Claude Code and Cursor treat as "block", with the reason on stderr). "Cannot answer" is any
# network error, timeout, non-2xx status, or a 2xx whose body is not a JSON object (a proxy's page): the
# agents read an exit 0 with such output as "proceed".
agent="${1:?usage: bulwark-hook.sh claude-code|cursor}"
url="${BULWARK_URL:-http://127.0.0.1:4318}/v1/hooks/${agent}"
if answer=$(curl -sS --fail-with-body --max-time 5 \
  -H 'content-type: application/json' \
  ${BULWARK_API_KEY:+-H "authorization: Bearer ${BULWARK_API_KEY}"} \
  --data-binary @- "$url"); then
  case "$answer" in
    '{'*'}')
      printf '%s\n' "$answer"
      exit 0
      ;;
  esac
  answer="not a JSON object: $(printf '%s' "$answer" | head -c 200)"
fi
echo "Bulwark could not decide this tool call ($url): ${answer:-no answer}" >&2
[ "${BULWARK_HOOK_FAIL:-closed}" = open ] && exit 0
exit 2
