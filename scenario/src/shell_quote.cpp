#include "tunlab/scenario/shell_quote.hpp"

#include <algorithm>
#include <cctype>

namespace tunlab {

std::string shell_quote(std::string_view text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._-/:=,+@").find(c) != std::string_view::npos;
  });
  if (plain) {
    return std::string(text);
  }
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

char shell_quote_open_at(std::string_view command, std::size_t at) {
  char open = 0;
  for (std::size_t i = 0; i < at && i < command.size(); ++i) {
    const char c = command[i];
    if (open == '\'') {
      open = c == '\'' ? 0 : open;
    } else if (c == '\\') {
      ++i;
    } else if (open == '"') {
      open = c == '"' ? 0 : open;
    } else if (c == '\'' || c == '"') {
      open = c;
    }
  }
  return open;
}

}  // namespace tunlab
