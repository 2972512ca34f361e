// Text for XML and HTML documents tunlab writes (JUnit files, reports): the five special
// characters escaped, and control characters other than tab, newline and carriage return, which
// XML cannot carry at all, written as '?'.
#pragma once

#include <string>
#include <string_view>

namespace tunlab {

std::string markup_escape(std::string_view text);

}  // namespace tunlab
