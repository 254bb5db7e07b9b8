# SPDX-License-Identifier: MIT
# Asks zsh's real completion system for candidates: zsh -f zsh_complete.zsh FPATH_DIR 'cmd --'.
#
# zsh completes only inside ZLE, so this drives an interactive `zsh -f -i` on a
# pseudo-terminal (zsh/zpty): compinit with FPATH_DIR first in $fpath, a
# compadd wrapper that prints every match it is given, and a widget bound to
# ^T that runs complete-word on the typed line. Prints the candidates sorted
# and unique, one per line. Exit status: 0 when the completion ran (even with
# no candidates), 1 on timeout (20 s), 2 on bad usage, 3 without zsh/zpty.

emulate -L zsh
(( $# == 2 )) || { print -u2 "usage: zsh -f zsh_complete.zsh FPATH_DIR 'command line'"; exit 2 }
zmodload zsh/zpty || exit 3

local dir=$1 line=$2
# Markers are spelled in pieces so that the pty's echo of these very lines
# never contains them; only the output of the running code does.
local -a setup=(
  "PS1= PROMPT= RPROMPT=; unsetopt zle_bracketed_paste 2>/dev/null"
  "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
  'compadd() { local -a m; builtin compadd -O m "$@"; local x; for x in $m; do print -r -- "<"CAND">$x<"/CAND">"; done; builtin compadd "$@"; }'
  '_capture() { zle complete-word; print -r -- "<"DONE">"; }; zle -N _capture; bindkey "^T" _capture'
)

TERM=dumb zpty -b comp zsh -f -i
local cmd
for cmd in $setup; do zpty -w comp $cmd; done
zpty -w -n comp "$line"$'\x14'

local out= chunk=
SECONDS=0
while (( SECONDS < 20 )); do
  if zpty -r -t comp chunk; then
    out+=$chunk
    [[ $out == *'<DONE>'* ]] && break
  else
    sleep 0.05
  fi
done
zpty -d comp

local -aU found=(${(f)"$(print -r -- ${out//$'\r'/} | grep -o '<CAND>.*</CAND>' | sed 's|^<CAND>||; s|</CAND>$||')"})
(( $#found )) && print -rl -- ${(o)found}
[[ $out == *'<DONE>'* ]]
