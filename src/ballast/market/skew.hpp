#pragma once
// Fill prices that lean against the market's skew (Synthetix PerpsV2, SIP-279): an oracle-priced
// market with no order book charges a premium to trades that grow the long-short imbalance and
// pays a discount to trades that shrink it, fill = oracle × (1 + (skew_before + skew_after) /
// (2 × skew_scale)), skew = long − short open size. The simulator's oracle-priced venues and any
// matcher without a book use it; the engine takes fills as they come.
//
// Rounding: against the trader (a buyer's price toward +∞, a seller's toward −∞), as every
// charge in the policy table rounds in the protocol's favour.

#include <optional>

#include "ballast/core/fixed.hpp"

namespace ballast::market {

// skew_before: long − short size before the fill; size: the fill (> 0 buys, ≠ 0); skew_scale > 0
// (the skew at which the premium is 100%). nullopt when the price leaves Price's range or is not
// positive (a sale so large that the discount passes 100%).
std::optional<Price> skew_fill_price(Price oracle, Quantity skew_before, Quantity size,
                                     Quantity skew_scale);

}  // namespace ballast::market
