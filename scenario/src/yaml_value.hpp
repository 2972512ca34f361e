// The scenario loader's view of a YAML document: values that know their dotted path and their
// place in the file, so every mistake becomes one "FILE:LINE:COL: FIELD: what is wrong" line, and
// mappings checked against their allowed keys. Internal to tunlab_harness (src/, not include/).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/scalar_text.hpp"
#include "tunlab/scenario/scenario_loader.hpp"

namespace tunlab::scenario::detail {

// Host and interface names: 1..15 of A-Z a-z 0-9 _ -.
bool valid_name(std::string_view name);
// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
// Messages quote the user's text; keep them on one line and short.
std::string quote(std::string_view text);

// ---- Values with places --------------------------------------------------------------------

struct Source {
  std::string file;  // as shown in messages
  std::filesystem::path folder;
  // Values visited so far: aliases can make a small file name a huge tree (see limits).
  mutable std::uint64_t values = 0;
  // Packets the traffic entries read so far send.
  mutable std::uint64_t traffic_packets = 0;

  void count_value(const YAML::Mark& mark) const {
    if (++values > limits::kMaxYamlValues) {
      fail(mark, "document",
           fmt::format("more than {} values (aliases repeat too much); a scenario is smaller", limits::kMaxYamlValues));
    }
  }

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view field, std::string_view what) const {
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    throw InputError(fmt::format("{}:{}:{}: {}: {}", file, line, column, field, what));
  }
  SourcePlace place(const YAML::Mark& mark) const {
    return SourcePlace{file, mark.is_null() ? 1 : mark.line + 1, mark.is_null() ? 1 : mark.column + 1};
  }
};

// One node of the document, with its dotted path and a place that is never null (a value that
// has no mark of its own, e.g. an empty `key:`, borrows its key's).
class Value {
public:
  Value(const Source& source, YAML::Node node, std::string path, YAML::Mark fallback)
      : source_(&source), node_(std::move(node)), path_(std::move(path)) {
    const YAML::Mark own = node_.Mark();
    mark_ = own.is_null() ? fallback : own;
    source.count_value(mark_);
  }
  // The same, placed at `mark` whatever the node says.
  Value(const Source& source, YAML::Node node, std::string path, YAML::Mark mark, bool /*placed*/)
      : source_(&source), node_(std::move(node)), path_(std::move(path)), mark_(mark) {
    source.count_value(mark_);
  }

  const std::string& path() const { return path_; }
  const YAML::Mark& mark() const { return mark_; }
  const YAML::Node& node() const { return node_; }
  SourcePlace place() const { return source_->place(mark_); }
  const Source& source() const { return *source_; }
  [[noreturn]] void fail(std::string_view what) const { source_->fail(mark_, path_, what); }

  std::string what_it_is() const {
    switch (node_.Type()) {
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Scalar:
        return quote(node_.Scalar());
      default:
        return "nothing";
    }
  }
  [[noreturn]] void wrong(std::string_view expected) const {
    fail(fmt::format("expected {}, got {}", expected, what_it_is()));
  }

  // The scalar text; `expected` names what should be here, for the message.
  const std::string& scalar(std::string_view expected) const {
    if (!node_.IsScalar()) {
      wrong(expected);
    }
    return node_.Scalar();
  }

  std::string text() const { return scalar("a string"); }

  std::uint64_t number(std::uint64_t low, std::uint64_t high) const {
    const std::string& s = scalar("a number");
    const auto value = parse_unsigned(s);
    if (!value) {
      wrong("a number");
    }
    if (*value < low || *value > high) {
      fail(fmt::format("{} is out of range {}..{}", s, low, high));
    }
    return *value;
  }
  template <typename T>
  T number_as(std::uint64_t low = 0, std::uint64_t high = std::numeric_limits<T>::max()) const {
    return static_cast<T>(number(low, high));
  }

  bool boolean() const {
    const std::string& s = scalar("true or false");
    if (s == "true") {
      return true;
    }
    if (s == "false") {
      return false;
    }
    wrong("true or false");
  }

  Nanos duration() const {
    const auto value = parse_duration(scalar("a duration like 0, 250us, 2ms or 1.5s"));
    if (!value) {
      wrong("a duration like 0, 250us, 2ms or 1.5s");
    }
    if (*value > limits::kMaxDurationNs) {
      fail(fmt::format("{} is longer than the {}s a run may last", node_.Scalar(),
                       limits::kMaxDurationNs / 1'000'000'000));
    }
    return *value;
  }

  std::uint64_t rate() const {
    const auto value = parse_rate(scalar("a rate like 10mbit, 500kbit or a number of bits/s"));
    if (!value) {
      wrong("a rate like 10mbit, 500kbit or a number of bits/s");
    }
    return *value;
  }

  double probability() const {
    const auto value = parse_probability(scalar("a probability between 0 and 1"));
    if (!value) {
      wrong("a probability between 0 and 1");
    }
    return *value;
  }

  Ipv4Address address() const {
    const auto value = parse_address(scalar("an IPv4 address like 10.0.0.1"));
    if (!value) {
      wrong("an IPv4 address like 10.0.0.1");
    }
    return *value;
  }

  std::size_t mtu() const { return number_as<std::size_t>(kMinimumTunnelMtu, 65535); }

  // A list's items, each with path "path[i]".
  std::vector<Value> items(std::string_view expected = "a list") const {
    if (!node_.IsSequence()) {
      wrong(expected);
    }
    std::vector<Value> out;
    for (std::size_t i = 0; i < node_.size(); ++i) {
      out.emplace_back(*source_, node_[i], fmt::format("{}[{}]", path_, i), mark_);
    }
    return out;
  }

private:
  const Source* source_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

// A mapping whose keys were checked against the allowed ones (and for duplicates) on construction.
class Map {
public:
  Map(const Value& value, std::vector<std::string_view> allowed, std::string_view expected = "a mapping");

  const Value& self() const { return self_; }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const Value* find(std::string_view key) const {
    for (const auto& [name, value] : entries_) {
      if (name == key) {
        return &value;
      }
    }
    return nullptr;
  }
  std::optional<Value> get(std::string_view key) const {
    const Value* v = find(key);
    return v ? std::optional<Value>(*v) : std::nullopt;
  }
  const Value& require(std::string_view key) const {
    const Value* v = find(key);
    if (!v) {
      missing(key);
    }
    return *v;
  }
  [[noreturn]] void missing(std::string_view key, std::string_view why = "") const {
    const std::string path = self_.path().empty() ? std::string(key) : self_.path() + "." + std::string(key);
    self_.source().fail(self_.mark(), path, fmt::format("missing required field{}", why));
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_) {
      out.push_back(entry.first);
    }
    return out;
  }

private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace tunlab::scenario::detail
