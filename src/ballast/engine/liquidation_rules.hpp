#pragma once
// The venue's liquidation rules as the engine applies them (issue 6, item 3), and the per-group
// state a liquidation carries between events. The math is the liquidation library's
// (liquidation/sizing.hpp, auction.hpp); this header binds it to engine figures.
//
// A liquidation is an episode of one margin group (an owner's cross sub-accounts, or one isolated
// sub-account). It starts when a check_health event finds the group liquidatable (the protocol
// submits it after its scan, so the auction's clock starts when the venue saw the shortfall, not
// when the first liquidator turned up) or at the first liquidate event, whichever comes first.
// It ends when a liquidation or a check_health finds the group healthy again. While it lasts:
//   - the auction's bonus rises from min_bonus to max_bonus over duration_ns from its start: the
//     most a liquidator's price may be discounted from the mark;
//   - each liquidate event closes at most what size_liquidation allows: enough to restore
//     maintenance health plus buffer_ratio × requirement, clamped by the close factor (unless the
//     group is deep enough for a full close), the dust rule and the caps;
//   - the notional liquidated in the account's current cap window is counted against
//     account_cap_notional (dYdX caps per subaccount per block); each event closes at most
//     event_cap_notional.
//
// When a group's equity is negative no liquidator can close it inside the band (account_bankrupt):
// the protocol submits resolve_bankruptcy (bankruptcy.hpp), which closes every position at the
// mark (against the ADL queue) and covers the deficit down the waterfall: the insurance fund
// within `insurance`'s caps (the per-account one counted in the episode's window), then the
// counterparties ADL closed, or every holder of the markets (`after_insurance`). Withdrawals are
// gated for withdrawal_gate_ns after any bad debt.

#include <cstdint>
#include <optional>

#include "ballast/core/bytes.hpp"
#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/liquidation/adl.hpp"
#include "ballast/liquidation/auction.hpp"
#include "ballast/liquidation/sizing.hpp"
#include "ballast/liquidation/waterfall.hpp"

namespace ballast {

// Who carries the part of a deficit the insurance fund does not pay.
enum class LossAbsorber : std::uint8_t {
  // The counterparties ADL closed against the bankrupt positions, in proportion to the notional
  // each closed: the same amounts as closing them at the bankruptcy price (dYdX's deleveraging),
  // booked exactly. With nobody eligible for ADL, every holder of the markets (below).
  adl_counterparties = 0,
  // Every other holder of the bankrupt group's markets, long or short, in proportion to its
  // notional at the mark (Drift's socialized loss, weighted by notional across markets).
  market_holders = 1,
};

struct LiquidationRules {
  // Close factor 50% and a 100% close at coverage below 0.95 (Aave v3); the backstop below 2/3
  // (Hyperliquid); a leftover under 1,000 quote is closed too (Aave v3.3's MIN_LEFTOVER_BASE).
  liquidation::SizingParams sizing{Ratio::from_raw(500'000'000'000),
                                   {Ratio::from_raw(950'000'000'000), Ratio::from_raw(666'666'666'667)},
                                   Money::from_raw(1'000'000'000)};
  // The target after a partial liquidation: maintenance health >= requirement × this (Drift's
  // liquidation_margin_buffer_ratio, 2%).
  Ratio buffer_ratio = Ratio::from_raw(20'000'000'000);
  // The bonus rises from 1% to 5% over 10 minutes (Drift's base fee lasts ~10 min of slots);
  // the protocol takes 10% of the discount a liquidator takes (Aave's liquidation protocol fee).
  liquidation::AuctionParams auction{Ratio::from_raw(10'000'000'000), Ratio::from_raw(50'000'000'000),
                                     600'000'000'000, Ratio::from_raw(100'000'000'000)};
  // dYdX's health-aware fillable price in place of the auction's discount, when
  // spread_to_maintenance > 0: a close of a position may go as far from the mark as
  // ABR × SMMR × the maintenance requirement it releases, ABR = clamp(BA × (1 − NC/MMR), 0, 1)
  // (liquidation/sizing.hpp dydx_fillable_price), so the discount grows as the account sinks.
  // Both >= 0; dYdX's genesis has BA 1 and SMMR 1.5. 0 by default: the auction prices closes.
  Ratio bankruptcy_adjustment;
  Ratio spread_to_maintenance;
  // dYdX's liquidation fee: the liquidated account pays min(rate × |proceeds|, its group's equity
  // after the close) to the insurance fund (dydx_insurance_fund_delta with the surplus over
  // bankruptcy), in [0, 1). 0 by default: only the liquidator's protocol share goes to the fund.
  Ratio target_fee_rate;
  // Notional one account may have liquidated per window, and one event may close (dYdX's sample
  // genesis: $100k per subaccount per block; our window is time, not blocks).
  Money account_cap_notional = Money::from_raw(10'000'000'000'000);  // 10M quote
  std::int64_t account_window_ns = 60'000'000'000;                    // one minute
  Money event_cap_notional = Money::from_raw(1'000'000'000'000);      // 1M quote

  // The insurance fund pays at most 1M per account per window (dYdX's $1M of insurance-fund loss
  // per subaccount per block, over our account window) and 10M per event, and never draws
  // itself below 0 (Drift keeps one unit; a venue sets its floor here).
  liquidation::InsuranceCaps insurance{Money::from_raw(1'000'000'000'000), Money::from_raw(10'000'000'000'000),
                                       Money{}};
  LossAbsorber after_insurance = LossAbsorber::adl_counterparties;
  liquidation::AdlRanking adl_ranking = liquidation::AdlRanking::pnl_leverage;
  // Withdrawals stay closed this long after bad debt is seen (dYdX gates 50 blocks, ~1 minute).
  std::int64_t withdrawal_gate_ns = 60'000'000'000;

  // Ok, or an invalid_input error naming the first bad field ("liquidation.close_factor", ...).
  Outcome validate() const;

  friend bool operator==(const LiquidationRules&, const LiquidationRules&) = default;
};

// Canonical bytes (the snapshot's); decoding refuses what validate() refuses, naming the field.
void encode_liquidation_rules(ByteWriter& out, const LiquidationRules& rules);
Result<LiquidationRules> decode_liquidation_rules(ByteReader& in);

// Which margin group an episode belongs to: an owner's cross group (isolated = 0), or one
// isolated sub-account. Ordered, so episodes iterate canonically.
struct GroupKey {
  AccountId owner;
  SubAccountId isolated;  // 0 for the owner's cross group

  friend auto operator<=>(const GroupKey&, const GroupKey&) = default;
};

struct LiquidationEpisode {
  TimestampNs started_ns = 0;       // the auction's clock
  TimestampNs window_start_ns = 0;  // the account cap's current window
  Money window_notional;            // liquidated in that window
  Money window_insurance;           // paid by the insurance fund for the group in that window

  friend bool operator==(const LiquidationEpisode&, const LiquidationEpisode&) = default;
};

// The notional the account cap still allows at `now_ns` (a window older than account_window_ns
// has lapsed: the full cap).
Money account_cap_remaining(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                            TimestampNs now_ns);

// The episode after a liquidation of `notional` at `now_ns` (started then when there was none).
LiquidationEpisode after_liquidation(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                                     Money notional, TimestampNs now_ns);

// What the insurance fund has paid for the group in the window in force at `now_ns` (0 when the
// window has lapsed or there is no episode): plan_waterfall's use against the per-account cap.
Money insurance_used(const LiquidationRules& rules, const std::optional<LiquidationEpisode>& episode,
                     TimestampNs now_ns);

// The episode after the insurance fund paid `paid` for the group at `now_ns`.
LiquidationEpisode after_insurance_payment(const LiquidationRules& rules,
                                           const std::optional<LiquidationEpisode>& episode, Money paid,
                                           TimestampNs now_ns);

}  // namespace ballast
