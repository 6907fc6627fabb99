#pragma once
// A deterministic stream of events for a small sample venue: assets listed, accounts opened,
// then deposits, transfers and withdrawals with a sprinkling of invalid events (unknown assets,
// foreign sub-accounts, zero amounts, retries, over-withdrawals), so that every run exercises
// rejections too. Event i depends only on (seed, i): the demo, the benchmarks and the tests
// all see the same stream for the same options.

#include <cstdint>

#include "ballast/core/random.hpp"
#include "ballast/engine/event.hpp"

namespace ballast {

struct SampleVenueOptions {
  std::uint64_t seed = 1;
  std::uint32_t accounts = 1000;
  std::uint64_t activity_events = 200'000;  // after the setup events
  // One event in invalid_one_in is deliberately invalid; 0 turns them off.
  std::uint32_t invalid_one_in = 50;
  TimestampNs start_ns = 1'735'689'600'000'000'000;  // 2025-01-01T00:00:00Z
  TimestampNs step_ns = 1'000'000;                   // 1 ms between events
};

class SampleVenue {
 public:
  explicit SampleVenue(SampleVenueOptions options);

  // Setup events (3 assets, USDC deposits funding the insurance fund and the treasury, accounts
  // with a cross and an isolated sub-account each) and then activity; total() of them in all.
  std::uint64_t total() const;
  bool done() const { return index_ >= total(); }
  Event next();

  static AccountId account_id(std::uint32_t index) { return AccountId{1000u + index}; }
  static SubAccountId cross_sub_account(std::uint32_t index) {
    return SubAccountId{10'000u + 2u * static_cast<std::uint64_t>(index)};
  }
  static SubAccountId isolated_sub_account(std::uint32_t index) {
    return SubAccountId{cross_sub_account(index).value + 1};
  }

 private:
  Event make(EventBody body);
  EventBody setup_event(std::uint64_t index) const;
  EventBody activity_event();
  EventBody invalid_event();
  Amount random_amount(AssetId asset, std::uint64_t whole_max);

  SampleVenueOptions options_;
  CounterRng rng_;
  std::uint64_t index_ = 0;
};

}  // namespace ballast
