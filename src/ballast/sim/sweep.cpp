#include "ballast/sim/sweep.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <tuple>

namespace ballast::sim {
namespace {

Error bad_axis(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::invalid_input,
                    "--grid '" + std::string(text) + "': " + std::string(why) + " (expected name=v1,v2,...)");
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

double ranking_es(const SweepEntry& entry, std::size_t tail) {
  return entry.statistics.bad_debt.tails.size() > tail ? entry.statistics.bad_debt.tails[tail].es_units : 0.0;
}

}  // namespace

Result<GridAxis> parse_grid_axis(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) return bad_axis(text, "no '='");
  GridAxis axis{std::string(trimmed(text.substr(0, equals))), {}};
  if (axis.name.empty()) return bad_axis(text, "no parameter name");
  std::string_view rest = text.substr(equals + 1);
  std::set<std::string> seen;
  while (true) {
    const auto comma = rest.find(',');
    const std::string value(trimmed(rest.substr(0, comma)));
    if (value.empty()) return bad_axis(text, "an empty value");
    if (!seen.insert(value).second) return bad_axis(text, "the value " + value + " twice");
    axis.values.push_back(value);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return axis;
}

Result<std::vector<Setting>> grid_settings(const std::vector<GridAxis>& axes, std::size_t max_settings) {
  std::set<std::string> names;
  std::size_t count = 1;
  for (const GridAxis& axis : axes) {
    if (!names.insert(axis.name).second) {
      return make_error(ErrorCode::invalid_input, "--grid: the parameter " + axis.name + " has two axes");
    }
    count *= axis.values.size();
    if (count > max_settings) {
      return make_error(ErrorCode::invalid_input,
                        "--grid: more than " + std::to_string(max_settings) + " settings in the product");
    }
  }
  std::vector<Setting> settings(count);
  // Setting i's value on an axis is digit (i / stride) % size, the stride being the product of
  // the later axes' sizes: the first axis varies slowest.
  std::size_t stride = count;
  for (const GridAxis& axis : axes) {
    stride /= axis.values.size();
    for (std::size_t i = 0; i < count; ++i) settings[i].emplace_back(axis.name, axis.values[(i / stride) % axis.values.size()]);
  }
  return settings;
}

std::string setting_label(const Setting& setting) {
  std::string label;
  for (const auto& [name, value] : setting) label += (label.empty() ? "" : ", ") + name + "=" + value;
  return label.empty() ? "(base)" : label;
}

void rank_settings(std::vector<SweepEntry>& entries) {
  for (SweepEntry& entry : entries) {
    entry.feasible = ranking_es(entry, kRankingTail) <= static_cast<double>(entry.statistics.insurance_fund_start_units);
  }
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const SweepEntry& x = entries[a];
    const SweepEntry& y = entries[b];
    return std::make_tuple(!x.feasible, ranking_es(x, kRankingTail), ranking_es(x, 0)) <
           std::make_tuple(!y.feasible, ranking_es(y, kRankingTail), ranking_es(y, 0));
  });
  for (std::size_t r = 0; r < order.size(); ++r) entries[order[r]].rank = r + 1;
}

}  // namespace ballast::sim
