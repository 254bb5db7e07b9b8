# SPDX-License-Identifier: MIT
# cctv_embed_text(TARGET VAR FILE): compiles FILE's text into TARGET as
# `extern const char* const VAR;` (namespace cctv::embedded), so a tool can
# print its man page template without finding files at run time.
function(cctv_embed_text target var file)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${var}.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DVAR=${var}
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedTextScript.cmake"
    DEPENDS "${file}" "${PROJECT_SOURCE_DIR}/cmake/EmbedTextScript.cmake"
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE "${out}")
endfunction()
