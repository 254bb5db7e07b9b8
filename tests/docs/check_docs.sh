#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that a tool's --help, man page and bash/zsh/fish completions agree, lint clean and really complete.
#
# usage: check_docs.sh TOOL_BINARY SOURCE_DIR
#
# The option list comes from scraping `TOOL --help`, not from the generator, so
# a generator that drops an option is caught. Every problem is reported; the
# exit status is 1 when there was any. No network; every command is bounded.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 TOOL_BINARY SOURCE_DIR" >&2
  exit 2
fi
tool_bin=$(realpath "$1")
src=$(realpath "$2")
tool=$(basename "$tool_bin")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

man_file=$src/man/$tool.1
bash_file=$src/completions/bash/$tool
zsh_file=$src/completions/zsh/_$tool
fish_file=$src/completions/fish/$tool.fish

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "check_docs: $tool: FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "check_docs: $tool: ok: $*"; }

run_tool() { timeout 20 "$tool_bin" "$@"; }

# --- the tool's own exit codes ---------------------------------------------

check_exit_codes() {
  local rc=0
  run_tool --help >"$work/help" 2>"$work/help.err" || rc=$?
  if ((rc == 0)); then pass "--help exits 0"; else fail "--help exited $rc, want 0"; fi
  rc=0
  run_tool --no-such-option-for-docs-check >/dev/null 2>&1 || rc=$?
  if ((rc == 2)); then pass "an unknown option exits 2"; else fail "an unknown option exited $rc, want 2"; fi
}

# --- (1) committed files match the generator --------------------------------

check_committed() {
  local kind=$1 committed=$2 generated=$work/generated.$1 rc=0
  run_tool --generate "$kind" >"$generated" 2>"$work/generate.err" || rc=$?
  if ((rc != 0)) || [[ ! -s $generated ]]; then
    fail "'$tool --generate $kind' exited $rc with empty or no output: $(head -c 300 "$work/generate.err")"
  elif [[ ! -f $committed ]]; then
    fail "${committed#"$src"/} is missing; run scripts/regen-docs and commit it"
  elif ! diff -u "$committed" "$generated" >"$work/diff" 2>&1; then
    cat "$work/diff" >&2
    fail "${committed#"$src"/} is out of date with '$tool --generate $kind'; run scripts/regen-docs and commit it"
  else
    pass "${committed#"$src"/} is up to date"
  fi
}

# --- (2) every option of --help in all four documents ------------------------

# Long options of --help: the first word of each line of the option column
# ("  -t,--timeout FLOAT=10   ..."), split at commas. Independent of the generator.
scrape_long_options() {
  grep -E '^[[:space:]]+-' "$work/help" | awk '{print $1}' | tr ',' '\n' |
    grep -E '^--[A-Za-z0-9][A-Za-z0-9_.-]*$' | sort -u || true
}

# "--transport tcp,udp" for options whose --help type lists fixed values:
# IsMember's "TEXT:{tcp,udp}" and CheckedTransformer's "value in {a->1,b->2} OR {1,2}".
scrape_choices() {
  local line names rest long set
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]+(-[^[:space:]]+)[[:space:]](.*)$ ]] || continue
    names=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
    rest=${rest%%  *}
    long=$(tr ',' '\n' <<<"$names" | grep -m1 '^--' || true)
    [[ -n $long ]] || continue
    if [[ $rest =~ value\ in\ \{([^}]*)\}\ OR ]]; then
      set=$(tr ',' '\n' <<<"${BASH_REMATCH[1]}" | sed 's/->.*//' | paste -sd, -)
    elif [[ $rest =~ :\{([^}]*)\} && ${BASH_REMATCH[1]} != *'->'* ]]; then
      set=${BASH_REMATCH[1]}
    else
      continue
    fi
    echo "$long $set"
  done <"$work/help"
}

# Long options whose value is a file by --help's own words: a FILE or PATH
# type (CLI::ExistingFile prints "TEXT:FILE"), a name ending in -file or
# -path, or --output unless its type is DIR (a folder, completed as one).
scrape_file_options() {
  local line names rest long
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]+(-[^[:space:]]+)[[:space:]]+([^[:space:]]+) ]] || continue
    names=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
    long=$(tr ',' '\n' <<<"$names" | grep -m1 '^--' || true)
    [[ -n $long ]] || continue
    if [[ $rest =~ (^|[^A-Za-z])(FILE|PATH)([^A-Za-z]|$) || $long =~ (^--|-)(file|path)$ || ($long == --output && ! $rest =~ (^|[^A-Za-z])DIR([^A-Za-z]|$)) ]]; then
      echo "$long"
    fi
  done <"$work/help"
}

# The text of the rendered OPTIONS section, where an option must be described
# (a mention in the hand-written prose does not count), without the
# backspace overstrikes that make bold.
rendered_options_section() {
  mandoc -T ascii "$man_file" 2>/dev/null | sed $'s/.\b//g' |
    awk '/^OPTIONS$/ {on = 1; next} /^[A-Z][A-Z ]*$/ {on = 0} on'
}

has_word() { grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)"; }

check_options_everywhere() {
  local opt missing
  if ((${#long_options[@]} < 2)); then
    fail "scraped only ${#long_options[@]} long options from --help; did its format change? (check_docs.sh scrape_long_options)"
    return
  fi
  rendered_options_section >"$work/man.options"
  for opt in "${long_options[@]}"; do
    missing=()
    has_word "$opt" <"$work/man.options" || missing+=("man page OPTIONS")
    has_word "$opt" <"$bash_file" || missing+=("bash")
    has_word "$opt" <"$zsh_file" || missing+=("zsh")
    grep -qE -- "-l '?${opt#--}'?( |\$)" "$fish_file" || missing+=("fish")
    if ((${#missing[@]})); then fail "$opt of --help is missing from: ${missing[*]}"; fi
  done
  pass "all ${#long_options[@]} long options of --help are in the man page and the three completions"
}

# --- (3) man page lint, (4) shell syntax --------------------------------------

check_lint() {
  local out
  out=$(mandoc -T lint -W warning "$man_file" 2>&1 || true)
  if [[ -n $out ]]; then fail "mandoc -T lint -W warning:"$'\n'"$out"; else pass "mandoc lint clean"; fi
  out=$(groff -ww -man -z "$man_file" 2>&1 || true)
  if [[ -n $out ]]; then fail "groff -ww -man -z:"$'\n'"$out"; else pass "groff silent"; fi
  local shell file
  for shell in bash zsh fish; do
    file=${shell}_file
    if out=$(timeout 20 "$shell" -n "${!file}" 2>&1); then
      pass "$shell -n accepts ${!file#"$src"/}"
    else
      fail "$shell -n ${!file#"$src"/}:"$'\n'"$out"
    fi
  done
}

# --- (5) load each completion and ask it ------------------------------------

# Candidates bash offers for the words "$@" (the last one being completed),
# through the function `complete -p TOOL` names, as bash itself would call it.
bash_candidates() {
  timeout 20 bash --norc --noprofile -c '
    if [[ -r /usr/share/bash-completion/bash_completion ]]; then
      . /usr/share/bash-completion/bash_completion
    fi
    . "$1" || exit 3
    shift
    spec=$(complete -p "$1") || { echo "no complete -p $1" >&2; exit 4; }
    [[ $spec =~ -F\ ([^ ]+) ]] || { echo "not complete -F: $spec" >&2; exit 5; }
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "${BASH_REMATCH[1]}" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"
  ' bash "$bash_file" "$tool" "$@" | sort -u
}

zsh_candidates() {
  mkdir -p "$work/zfunc"
  cp "$zsh_file" "$work/zfunc/"
  timeout 30 zsh -f "$here/zsh_complete.zsh" "$work/zfunc" "$tool $*" | sort -u
}

fish_candidates() {
  timeout 20 fish --no-config -c 'source $argv[1]; complete -C "$argv[2]"' "$fish_file" "$tool $*" |
    cut -f1 | sort -u
}

# check_offers SHELL WHAT CANDIDATE_FILE EXPECTED...
check_offers() {
  local shell=$1 what=$2 got=$3 want missing=()
  shift 3
  for want in "$@"; do grep -qxF -- "$want" "$got" || missing+=("$want"); done
  if ((${#missing[@]})); then
    fail "$shell completion of '$tool $what' lacks: ${missing[*]} (got: $(paste -sd' ' "$got"))"
  else
    pass "$shell completes '$tool $what'"
  fi
}

check_loaded_completions() {
  local shell line opt values
  mkdir -p "$work/cwd"
  touch "$work/cwd/sample-for-docs-check.txt"
  cd "$work/cwd"
  for shell in bash zsh fish; do
    if ! "${shell}_candidates" -- >"$work/$shell.long" 2>"$work/$shell.err"; then
      fail "$shell completion did not run: $(head -c 300 "$work/$shell.err")"
      continue
    fi
    check_offers "$shell" "--" "$work/$shell.long" "${long_options[@]}"
    while read -r opt values; do
      [[ -n $opt ]] || continue
      "${shell}_candidates" "$opt" "" >"$work/$shell.values" 2>"$work/$shell.err" || true
      mapfile -t line < <(tr ',' '\n' <<<"$values")
      check_offers "$shell" "$opt " "$work/$shell.values" "${line[@]}"
    done <<<"$choices"
    for opt in "${file_options[@]}"; do
      "${shell}_candidates" "$opt" "" >"$work/$shell.files" 2>"$work/$shell.err" || true
      check_offers "$shell" "$opt " "$work/$shell.files" sample-for-docs-check.txt
    done
  done
  cd - >/dev/null
}

check_exit_codes
long_options=()
mapfile -t long_options < <(scrape_long_options)
choices=$(scrape_choices)
file_options=()
mapfile -t file_options < <(scrape_file_options)

check_committed man "$man_file"
check_committed bash "$bash_file"
check_committed zsh "$zsh_file"
check_committed fish "$fish_file"

for f in "$man_file" "$bash_file" "$zsh_file" "$fish_file"; do
  [[ -f $f ]] || { echo "check_docs: $tool: cannot check further without ${f#"$src"/}" >&2; exit 1; }
done
check_options_everywhere
check_lint
check_loaded_completions

if ((failures)); then
  echo "check_docs: $tool: $failures problem(s), see FAIL above. Generated files: fix the generator or" \
    "man/$tool.1.in, then run scripts/regen-docs BUILD_DIR and commit man/ and completions/." >&2
  exit 1
fi
echo "check_docs: $tool: all checks passed"
