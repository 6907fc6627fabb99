#include "ballast/core/status.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ballast {
namespace {

// The numeric values are stored in event logs: they must never change. Each row was written by
// hand from the values the first log format shipped with.
const std::vector<std::pair<Status, int>> kPinned = {
    {Status::ok, 0},
    {Status::id_zero, 1},
    {Status::timestamp_invalid, 2},
    {Status::exists, 3},
    {Status::id_reused, 4},
    {Status::timestamp_regressed, 5},
    {Status::amount_zero, 6},
    {Status::amount_negative, 7},
    {Status::symbol_invalid, 8},
    {Status::decimals_invalid, 9},
    {Status::account_id_reserved, 10},
    {Status::same_sub_account, 11},
    {Status::asset_exists, 12},
    {Status::symbol_exists, 13},
    {Status::asset_unknown, 14},
    {Status::account_exists, 15},
    {Status::account_unknown, 16},
    {Status::sub_account_exists, 17},
    {Status::sub_account_unknown, 18},
    {Status::sub_account_foreign, 19},
    {Status::to_sub_account_unknown, 20},
    {Status::to_sub_account_foreign, 21},
    {Status::deposits_disabled, 22},
    {Status::withdrawals_disabled, 23},
    {Status::transfers_disabled, 24},
    {Status::insufficient_balance, 25},
    {Status::balance_overflow, 26},
    {Status::flags_invalid, 27},
    {Status::mode_invalid, 28},
    {Status::price_invalid, 29},
    {Status::fill_size_zero, 30},
    {Status::fill_price_invalid, 31},
    {Status::fee_negative, 32},
    {Status::instrument_unknown, 33},
    {Status::fill_size_off_lot, 34},
    {Status::fill_price_off_tick, 35},
    {Status::instrument_expired, 36},
    {Status::price_missing, 37},
    {Status::price_stale, 38},
    {Status::insufficient_margin, 39},
    {Status::quotes_invalid, 40},
    {Status::instrument_not_perpetual, 41},
    {Status::instrument_not_dated, 42},
    {Status::expiry_not_reached, 43},
    {Status::instrument_settled, 44},
    {Status::oracle_untrusted, 45},
    {Status::portfolio_unsupported, 46},
    {Status::portfolio_price_invalid, 47},
    {Status::liquidation_self, 48},
    {Status::position_missing, 49},
    {Status::account_healthy, 50},
    {Status::health_unchanged, 51},
    {Status::account_bankrupt, 52},
    {Status::liquidation_too_large, 53},
    {Status::liquidation_price_out_of_band, 54},
    {Status::account_solvent, 55},
    {Status::withdrawals_gated, 56},
    {Status::vault_missing, 57},
    {Status::vault_deposit_too_small, 58},
    {Status::vault_request_pending, 59},
    {Status::vault_no_request, 60},
    {Status::vault_queue_full, 61},
    {Status::vault_cooldown, 62},
    {Status::vault_equity_negative, 63},
    {Status::backstop_not_reached, 64},
    {Status::pool_missing, 65},
    {Status::supply_cap_exceeded, 66},
    {Status::borrow_cap_exceeded, 67},
    {Status::insufficient_liquidity, 68},
    {Status::breakers_missing, 69},
    {Status::governance_missing, 70},
    {Status::proposal_id_invalid, 71},
    {Status::parameter_unknown, 72},
    {Status::proposal_unknown, 73},
    {Status::proposal_exists, 74},
    {Status::proposal_executed, 75},
    {Status::proposal_cancelled, 76},
    {Status::proposal_expired, 77},
    {Status::timelock_pending, 78},
    {Status::parameter_out_of_bounds, 79},
    {Status::parameter_unchanged, 80},
    {Status::parameter_step_too_large, 81},
    {Status::parameter_busy, 82},
    {Status::proposals_full, 83},
    {Status::parameter_conflict, 84},
    {Status::emergency_not_allowed, 85},
    {Status::open_interest_cap_exceeded, 86},
    {Status::deficit_exceeded, 87},
};

TEST(Status, NumericValuesArePinned) {
  ASSERT_EQ(static_cast<int>(kStatusCount), 88);
  ASSERT_EQ(kPinned.size(), kStatusCount);
  for (const auto& [status, value] : kPinned) {
    EXPECT_EQ(static_cast<int>(status), value) << status_name(status);
  }
}

TEST(Status, NamesArePinned) {
  EXPECT_EQ(status_name(Status::ok), "ok");
  EXPECT_EQ(status_name(Status::id_zero), "id_zero");
  EXPECT_EQ(status_name(Status::exists), "exists");
  EXPECT_EQ(status_name(Status::id_reused), "id_reused");
  EXPECT_EQ(status_name(Status::timestamp_regressed), "timestamp_regressed");
  EXPECT_EQ(status_name(Status::sub_account_foreign), "sub_account_foreign");
  EXPECT_EQ(status_name(Status::insufficient_balance), "insufficient_balance");
  EXPECT_EQ(status_name(Status::balance_overflow), "balance_overflow");
  EXPECT_EQ(status_name(Status::flags_invalid), "flags_invalid");
  EXPECT_EQ(status_name(Status::mode_invalid), "mode_invalid");
  EXPECT_EQ(status_message(Status::mode_invalid), "the margin mode must be cross, isolated or portfolio");
  EXPECT_EQ(status_from_name("mode_invalid"), Status::mode_invalid);
  EXPECT_EQ(status_from_value(28), Status::mode_invalid);
}

TEST(Status, NamesAndMessagesAreUniqueAndRoundTrip) {
  std::set<std::string_view> names;
  std::set<std::string_view> messages;
  for (std::uint8_t value = 0; value < kStatusCount; ++value) {
    const auto status = status_from_value(value);
    ASSERT_TRUE(status.has_value()) << int{value};
    EXPECT_EQ(static_cast<std::uint8_t>(*status), value);
    const std::string_view name = status_name(*status);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown_status");
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    EXPECT_EQ(status_from_name(name), status) << name;
    const std::string_view message = status_message(*status);
    EXPECT_FALSE(message.empty());
    EXPECT_NE(message, "unknown status");
    EXPECT_TRUE(messages.insert(message).second) << "duplicate message " << message;
  }
  EXPECT_EQ(names.size(), kStatusCount);
}

TEST(Status, UnknownValuesAndNames) {
  EXPECT_EQ(status_from_value(kStatusCount), std::nullopt);
  EXPECT_EQ(status_from_value(255), std::nullopt);
  EXPECT_EQ(status_from_name(""), std::nullopt);
  EXPECT_EQ(status_from_name("OK"), std::nullopt);
  EXPECT_EQ(status_from_name("exist"), std::nullopt);
  EXPECT_EQ(status_from_name("unknown_status"), std::nullopt);
  EXPECT_EQ(status_name(static_cast<Status>(200)), "unknown_status");
  EXPECT_EQ(status_message(static_cast<Status>(200)), "unknown status");
}

TEST(Status, PrecedenceIsTheDocumentedOrder) {
  // Envelope, idempotency, clock, shape, existence and ownership, the instrument's rules,
  // permissions, prices, balances and margin.
  const std::vector<std::string_view> expected = {
      "ok",
      "id_zero",
      "timestamp_invalid",
      "exists",
      "id_reused",
      "timestamp_regressed",
      "amount_zero",
      "amount_negative",
      "symbol_invalid",
      "decimals_invalid",
      "flags_invalid",
      "mode_invalid",
      "account_id_reserved",
      "same_sub_account",
      "price_invalid",
      "fill_size_zero",
      "fill_price_invalid",
      "fee_negative",
      "quotes_invalid",
      "proposal_id_invalid",
      "asset_exists",
      "symbol_exists",
      "instrument_unknown",
      "asset_unknown",
      "account_exists",
      "account_unknown",
      "sub_account_exists",
      "sub_account_unknown",
      "sub_account_foreign",
      "to_sub_account_unknown",
      "to_sub_account_foreign",
      "vault_missing",
      "pool_missing",
      "breakers_missing",
      "governance_missing",
      "proposal_exists",
      "proposal_unknown",
      "parameter_unknown",
      "liquidation_self",
      "position_missing",
      "fill_size_off_lot",
      "fill_price_off_tick",
      "instrument_expired",
      "instrument_not_perpetual",
      "instrument_not_dated",
      "expiry_not_reached",
      "instrument_settled",
      "emergency_not_allowed",
      "deposits_disabled",
      "withdrawals_disabled",
      "withdrawals_gated",
      "transfers_disabled",
      "portfolio_unsupported",
      "price_missing",
      "price_stale",
      "oracle_untrusted",
      "portfolio_price_invalid",
      "account_healthy",
      "health_unchanged",
      "account_bankrupt",
      "account_solvent",
      "deficit_exceeded",
      "backstop_not_reached",
      "liquidation_too_large",
      "liquidation_price_out_of_band",
      "vault_deposit_too_small",
      "vault_request_pending",
      "vault_no_request",
      "vault_queue_full",
      "vault_cooldown",
      "vault_equity_negative",
      "insufficient_liquidity",
      "supply_cap_exceeded",
      "borrow_cap_exceeded",
      "proposal_executed",
      "proposal_cancelled",
      "proposal_expired",
      "timelock_pending",
      "parameter_out_of_bounds",
      "parameter_unchanged",
      "parameter_step_too_large",
      "parameter_busy",
      "proposals_full",
      "parameter_conflict",
      "open_interest_cap_exceeded",
      "insufficient_balance",
      "balance_overflow",
      "insufficient_margin",
  };
  ASSERT_EQ(expected.size(), kStatusPrecedence.size());
  std::set<Status> seen;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(status_name(kStatusPrecedence[i]), expected[i]) << "rank " << i;
    EXPECT_TRUE(seen.insert(kStatusPrecedence[i]).second);
  }
  EXPECT_EQ(seen.size(), kStatusCount);  // a permutation of every code
}

TEST(Status, CodesBeforeTheFirstAppendedOneAreInNumericOrder) {
  // Codes 0..26 shipped in precedence order; only appended codes may sit out of numeric order.
  int previous = -1;
  for (const Status status : kStatusPrecedence) {
    const int value = static_cast<int>(status);
    if (value > static_cast<int>(Status::balance_overflow)) continue;
    EXPECT_GT(value, previous) << status_name(status);
    previous = value;
  }
}

}  // namespace
}  // namespace ballast
