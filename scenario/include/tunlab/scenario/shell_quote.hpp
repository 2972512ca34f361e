// One word for a POSIX shell: how tunlab prints a command a person pastes (sweep's repro lines)
// and how it fills a `command:` placeholder (real/external_tunnel.hpp).
#pragma once

#include <string>
#include <string_view>

namespace tunlab {

// `text` as it is when a shell takes every character literally (letters, digits and ._-/:=,+@),
// otherwise in single quotes, each ' written as '\''.
std::string shell_quote(std::string_view text);

// The quote open at offset `at` of a POSIX shell command line: '\'' or '"', or 0 when none (a
// backslash outside single quotes escapes the next character). A `command:` placeholder must be
// outside quotes: what tunlab substitutes there is shell_quote()d, which quotes cannot nest.
char shell_quote_open_at(std::string_view command, std::size_t at);

}  // namespace tunlab
