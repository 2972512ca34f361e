// Bad input (scenario files, pcaps, command lines) is reported as one line naming the file and the
// place in it; the CLI prints what() and exits 2.
#pragma once

#include <stdexcept>
#include <string>

namespace tunlab {

class InputError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

}  // namespace tunlab
