# SPDX-License-Identifier: MIT
# Script mode helper of cctv_embed_text(): writes IN's text as a raw string.
file(READ "${IN}" text)
string(FIND "${text}" ")cctv_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string delimiter")
endif()
file(WRITE "${OUT}" "// Generated from ${IN}; do not edit.\nnamespace cctv::embedded {\nextern const char* const ${VAR};\nconst char* const ${VAR} = R\"cctv_embed(${text})cctv_embed\";\n}\n")
