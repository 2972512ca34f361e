#include "yaml_value.hpp"

#include <cctype>

namespace tunlab::scenario::detail {

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

// Messages quote the user's text; keep them on one line and short.
std::string quote(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 60)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (text.size() > 60) {
    out += "...";
  }
  return "'" + out + "'";
}

Map::Map(const Value& value, std::vector<std::string_view> allowed, std::string_view expected) : self_(value) {
  if (!value.node().IsMap()) {
    value.wrong(expected);
  }
  for (auto it = value.node().begin(); it != value.node().end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Mark key_mark = key_node.Mark().is_null() ? value.mark() : key_node.Mark();
    if (!key_node.IsScalar()) {
      value.source().fail(key_mark, value.path().empty() ? std::string("document") : value.path(),
                          "keys must be plain names");
    }
    const std::string key = key_node.Scalar();
    const std::string path = value.path().empty() ? key : value.path() + "." + key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      // A key like "delay 2ms" (missing colon) would make an unreadable field path: name the
      // mapping instead; the message quotes the key anyway.
      const bool plain =
          std::all_of(key.begin(), key.end(),
                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }) &&
          !key.empty();
      const std::string field = plain ? path : value.path().empty() ? std::string("document") : value.path();
      std::vector<std::string> names(allowed.begin(), allowed.end());
      // Suggest the closest allowed key when it is plausibly a typo or a shortened name.
      std::string hint;
      std::size_t best = std::max<std::size_t>(2, key.size() / 4) + 1;
      for (std::string_view candidate : allowed) {
        const std::size_t distance = edit_distance(key, candidate);
        if (distance < best) {
          best = distance;
          hint = fmt::format(" (did you mean '{}'?)", candidate);
        }
      }
      value.source().fail(key_mark, field, fmt::format("unknown key {}{}; allowed: {}", quote(key), hint, join(names)));
    }
    for (const auto& [seen, seen_value] : entries_) {
      if (seen == key) {
        value.source().fail(key_mark, path,
                            fmt::format("duplicate key (first given at line {})", seen_value.mark().line + 1));
      }
    }
    // yaml-cpp places an empty value (`key:`) at the next token, often the next line: point
    // at the key instead.
    entries_.emplace_back(key, it->second.IsNull() ? Value(value.source(), it->second, path, key_mark, true)
                                                   : Value(value.source(), it->second, path, key_mark));
  }
}
}  // namespace tunlab::scenario::detail
