// Bad input (scenario files, pcaps, command lines) is reported as one line naming the file and the
// place in it; the CLI prints what() and exits 2. The line is always printable: whatever the input
// put into it (a file name, yaml-cpp's text, a field) is escaped by printable_line().
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tunlab {

// `text` as one printable line: valid UTF-8 is kept, control characters (newline, ESC, DEL, C1)
// become \n, \t, \r or \xNN, and every byte of an invalid UTF-8 sequence becomes \xNN.
std::string printable_line(std::string_view text);

class InputError : public std::runtime_error {
public:
  explicit InputError(std::string_view what) : std::runtime_error(printable_line(what)) {}
};

}  // namespace tunlab
