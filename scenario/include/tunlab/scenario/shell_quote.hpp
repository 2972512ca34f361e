// One word for a POSIX shell: how tunlab prints a command a person pastes (sweep's repro lines)
// and how it fills a `command:` placeholder (real/external_tunnel.hpp).
#pragma once

#include <string>
#include <string_view>

namespace tunlab {

// `text` as it is when a shell takes every character literally (letters, digits and ._-/:=,+@),
// otherwise in single quotes, each ' written as '\''.
std::string shell_quote(std::string_view text);

}  // namespace tunlab
