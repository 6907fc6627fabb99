#include "ballast/sim/sweep.hpp"

#include <gtest/gtest.h>

namespace ballast::sim {
namespace {

std::string error_of(const Result<GridAxis>& result) { return result.ok() ? "ok" : result.error().message; }

TEST(GridAxis, Parses) {
  const auto axis = parse_grid_axis("insurance_fund_quote = 1e6, 5e6,1e7");
  ASSERT_TRUE(axis.ok());
  EXPECT_EQ(axis->name, "insurance_fund_quote");
  EXPECT_EQ(axis->values, (std::vector<std::string>{"1e6", "5e6", "1e7"}));
  EXPECT_EQ(parse_grid_axis("x=1")->values, std::vector<std::string>{"1"});
}

TEST(GridAxis, RefusesWithTheText) {
  EXPECT_EQ(error_of(parse_grid_axis("fee")), "--grid 'fee': no '=' (expected name=v1,v2,...)");
  EXPECT_EQ(error_of(parse_grid_axis("=1,2")), "--grid '=1,2': no parameter name (expected name=v1,v2,...)");
  EXPECT_EQ(error_of(parse_grid_axis("fee=1,,2")), "--grid 'fee=1,,2': an empty value (expected name=v1,v2,...)");
  EXPECT_EQ(error_of(parse_grid_axis("fee=")), "--grid 'fee=': an empty value (expected name=v1,v2,...)");
  EXPECT_EQ(error_of(parse_grid_axis("fee=1,2,1")), "--grid 'fee=1,2,1': the value 1 twice (expected name=v1,v2,...)");
}

TEST(GridSettings, CartesianProductFirstAxisSlowest) {
  const auto settings = grid_settings({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}}, 100);
  ASSERT_TRUE(settings.ok());
  ASSERT_EQ(settings->size(), 6u);
  EXPECT_EQ(setting_label((*settings)[0]), "a=1, b=x");
  EXPECT_EQ(setting_label((*settings)[2]), "a=1, b=z");
  EXPECT_EQ(setting_label((*settings)[3]), "a=2, b=x");
  EXPECT_EQ(setting_label((*settings)[5]), "a=2, b=z");
  EXPECT_EQ(grid_settings({}, 10)->size(), 1u);  // no axis: the base setting alone
  EXPECT_EQ(setting_label(grid_settings({}, 10)->front()), "(base)");
}

TEST(GridSettings, Refusals) {
  const auto twice = grid_settings({{"a", {"1"}}, {"a", {"2"}}}, 100);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "--grid: the parameter a has two axes");
  const auto many = grid_settings({{"a", {"1", "2", "3"}}, {"b", {"1", "2"}}}, 5);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().message, "--grid: more than 5 settings in the product");
}

SweepEntry entry(double es95, double es99, std::int64_t fund) {
  SweepEntry e;
  e.statistics.bad_debt.tails = {TailEstimate{.level = 0.95, .es_units = es95}, TailEstimate{.level = 0.99, .es_units = es99}};
  e.statistics.insurance_fund_start_units = fund;
  return e;
}

// Feasible (ES99 <= fund) first by ES99, then ES95, then grid order; infeasible after.
TEST(RankSettings, FeasibleFirstThenByShortfall) {
  std::vector<SweepEntry> entries = {entry(50, 900, 100),   // infeasible
                                     entry(40, 80, 100),    // feasible, ES99 80
                                     entry(30, 80, 100),    // feasible, ES99 80, lower ES95
                                     entry(10, 100, 100),   // feasible at equality
                                     entry(5, 200, 100),    // infeasible, lower ES99
                                     entry(30, 80, 100)};   // tie with #2: grid order
  rank_settings(entries);
  std::vector<std::size_t> ranks;
  std::vector<bool> feasible;
  for (const SweepEntry& e : entries) {
    ranks.push_back(e.rank);
    feasible.push_back(e.feasible);
  }
  EXPECT_EQ(ranks, (std::vector<std::size_t>{6, 3, 1, 4, 5, 2}));
  EXPECT_EQ(feasible, (std::vector<bool>{false, true, true, true, false, true}));
}

}  // namespace
}  // namespace ballast::sim
