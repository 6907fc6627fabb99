// Positions (position.hpp): increase, reduce, close and flip with exact values and every rounding
// checked by hand, lazy funding on change, and properties: a round trip's PnL against the exact
// price difference, a flip against close + open, and zero sum across the two sides of a fill.

#include "ballast/market/position.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <vector>

namespace ballast::market {
namespace {

Price price(const char* text) { return Price::parse(text, Round::down).value(); }
Quantity qty(const char* text) { return Quantity::parse(text, Round::down).value(); }
Money money(const char* text) { return Money::parse(text, Round::down).value(); }

const Quantity kOne = Quantity::from_raw(Quantity::kScale);

Fill fill(Quantity size, Price fill_price) {
  return Fill{AccountId{20}, SubAccountId{20}, InstrumentId{1}, size, fill_price, Money{}};
}

PositionChange apply(const Position& position, const char* size, const char* fill_price,
                     Quantity contract_size = kOne, FundingIndex index = {}) {
  const auto change = apply_fill(position, fill(qty(size), price(fill_price)), contract_size, index);
  EXPECT_TRUE(change.has_value());
  return change.value_or(PositionChange{});
}

TEST(Position, IncreaseReduceAndCloseALong) {
  PositionChange change = apply(Position{}, "2", "50000");
  EXPECT_EQ(change.position, (Position{qty("2"), money("100000"), Money{}, FundingIndex{}}));
  EXPECT_EQ(change.value, money("100000"));
  change = apply(change.position, "1", "53000");
  EXPECT_EQ(change.position.cost_basis, money("153000"));
  EXPECT_EQ(average_entry(change.position, kOne), price("51000"));
  // A third of the basis (51,000) leaves with a third of the size.
  change = apply(change.position, "-1", "55000");
  EXPECT_EQ(change.realized_pnl, money("4000"));
  EXPECT_EQ(change.value, money("-55000"));
  EXPECT_EQ(change.position, (Position{qty("2"), money("102000"), money("4000"), FundingIndex{}}));
  EXPECT_EQ(unrealized_pnl(change.position, price("52000"), kOne), money("2000"));
  change = apply(change.position, "-2", "50000");
  EXPECT_EQ(change.realized_pnl, money("-2000"));
  EXPECT_EQ(change.position, (Position{Quantity{}, Money{}, money("2000"), FundingIndex{}}));
  EXPECT_EQ(average_entry(change.position, kOne), std::nullopt);
}

TEST(Position, ShortGainsWhenThePriceFalls) {
  PositionChange change = apply(Position{}, "-4", "2000");
  EXPECT_EQ(change.position.cost_basis, money("-8000"));
  EXPECT_EQ(average_entry(change.position, kOne), price("2000"));
  EXPECT_EQ(unrealized_pnl(change.position, price("1900"), kOne), money("400"));
  change = apply(change.position, "1", "1900");
  EXPECT_EQ(change.realized_pnl, money("100"));
  EXPECT_EQ(change.position.cost_basis, money("-6000"));
}

TEST(Position, FlipsThroughZero) {
  const PositionChange opened = apply(Position{}, "1", "100");
  const PositionChange flipped = apply(opened.position, "-3", "110");
  EXPECT_EQ(flipped.realized_pnl, money("10"));
  EXPECT_EQ(flipped.value, money("-330"));
  EXPECT_EQ(flipped.position, (Position{qty("-2"), money("-220"), money("10"), FundingIndex{}}));
  EXPECT_EQ(average_entry(flipped.position, kOne), price("110"));
}

TEST(Position, ContractSizeScalesValue) {
  // Ten option contracts of 0.1 BTC at 1,234.5 per BTC.
  const PositionChange change = apply(Position{}, "10", "1234.5", qty("0.1"));
  EXPECT_EQ(change.value, money("1234.5"));
  EXPECT_EQ(average_entry(change.position, qty("0.1")), price("1234.5"));
  EXPECT_EQ(position_value(change.position, price("1300"), qty("0.1")), money("1300"));
}

// Prices below a micro-unit of value make every rounding visible.
TEST(PositionRounding, FillValueBuyerPaysCeilingSellerReceivesFloor) {
  EXPECT_EQ(fill_value(qty("3"), price("0.0000013"), kOne), money("0.000004"));   // 3.9 up
  EXPECT_EQ(fill_value(qty("-3"), price("0.0000013"), kOne), money("-0.000003"));  // receives 3
  EXPECT_EQ(fill_residual(qty("3"), price("0.0000013"), kOne), money("0.000001"));
  EXPECT_EQ(fill_residual(qty("3"), price("0.000002"), kOne), Money{});  // exact: nothing kept
}

TEST(PositionRounding, PartialCloseReleasesBasisUpSoPnlRoundsDown) {
  const PositionChange opened = apply(Position{}, "3", "0.0000013");  // basis 0.000004
  const PositionChange reduced = apply(opened.position, "-1", "0.0000013");
  // Receives floor(1.3) = 1 micro; releases ceil(4 / 3) = 2 micro.
  EXPECT_EQ(reduced.realized_pnl, money("-0.000001"));
  EXPECT_EQ(reduced.position.cost_basis, money("0.000002"));
  const PositionChange closed = apply(reduced.position, "-2", "0.0000013");
  EXPECT_EQ(closed.realized_pnl, money("0.000000"));  // receives floor(2.6) = 2, releases 2
  // Over the life: −Σ values = −4 + 1 + 2 = −1 micro, all of it realized.
  EXPECT_EQ(closed.position.realized_pnl, money("-0.000001"));
}

TEST(PositionRounding, ShortSideRoundsTheSameWay) {
  const PositionChange opened = apply(Position{}, "-3", "0.0000013");  // receives 3 micro
  EXPECT_EQ(opened.position.cost_basis, money("-0.000003"));
  const PositionChange reduced = apply(opened.position, "1", "0.0000013");  // pays 2 micro
  EXPECT_EQ(reduced.realized_pnl, money("-0.000001"));
  // The short's value at the mark is a liability counted up: floor(−1.3·2) = −3 micro.
  EXPECT_EQ(position_value(reduced.position, price("0.0000013"), kOne), money("-0.000003"));
  EXPECT_EQ(unrealized_pnl(reduced.position, price("0.0000013"), kOne), money("-0.000001"));
}

TEST(PositionRounding, AverageEntryFavoursTheProtocol) {
  const Position long_position{qty("3"), money("10"), Money{}, FundingIndex{}};
  const Position short_position{qty("-3"), money("-10"), Money{}, FundingIndex{}};
  EXPECT_EQ(average_entry(long_position, kOne), price("3.333333334"));
  EXPECT_EQ(average_entry(short_position, kOne), price("3.333333333"));
}

TEST(PositionFunding, SettledLazilyOnChange) {
  const FundingIndex at_open = FundingIndex::from_raw(100 * FundingIndex::kScale);
  const PositionChange opened = apply(Position{}, "2", "50000", kOne, at_open);
  EXPECT_EQ(opened.funding_owed, Money{});
  EXPECT_EQ(opened.position.funding_snapshot, at_open);
  const FundingIndex later = FundingIndex::from_raw(1035 * FundingIndex::kScale / 10);  // 103.5
  const PositionChange added = apply(opened.position, "1", "50000", kOne, later);
  EXPECT_EQ(added.funding_owed, money("7"));  // 2 × 3.5, paid by the long
  EXPECT_EQ(added.position.funding_snapshot, later);
  const Position short_position{qty("-2"), money("-100000"), Money{}, at_open};
  EXPECT_EQ(funding_payment(short_position, later), money("-7"));  // received by the short
}

TEST(PositionFunding, PayerRoundsUpReceiverDown) {
  const Quantity tiny = Quantity::from_raw(1);
  const FundingIndex moved = FundingIndex::from_raw(FundingIndex::kScale + 1);  // 1.000000001
  const Position long_position{tiny, Money{}, Money{}, FundingIndex{}};
  const Position short_position{Quantity::from_raw(-1), Money{}, Money{}, FundingIndex{}};
  EXPECT_EQ(funding_payment(long_position, moved), money("0.000001"));
  EXPECT_EQ(funding_payment(short_position, moved), Money{});
}

TEST(PositionOverflow, IsAValueNotACrash) {
  const Position huge{qty("9000000000"), Money{}, Money{}, FundingIndex{}};
  EXPECT_EQ(apply_fill(huge, fill(qty("1000000000"), price("1")), kOne), std::nullopt);
  EXPECT_EQ(apply_fill(Position{}, fill(qty("1000000"), price("9000000000")), kOne), std::nullopt);
  EXPECT_EQ(position_value(huge, price("9000000000"), kOne), std::nullopt);
}

// ---- Properties --------------------------------------------------------------------------------

// Contract sizes with a lot that keeps lot × contract size exact (validate() demands it).
struct Contract {
  Quantity size;
  Quantity lot;
};

rc::Gen<Contract> contracts() {
  return rc::gen::element(Contract{kOne, Quantity::from_raw(1'000'000)},            // 1, 0.001
                          Contract{qty("0.1"), Quantity::from_raw(10)},             // 0.1, 1e-8
                          Contract{qty("0.001"), kOne},                             // 0.001, 1
                          Contract{qty("10"), Quantity::from_raw(1)},               // 10, 1e-9
                          Contract{qty("0.000001"), Quantity::from_raw(1'000'000)});  // 1e-6, 0.001
}

Quantity gen_size(const Contract& contract, std::int64_t max_lots) {
  const auto lots = *rc::gen::inRange<std::int64_t>(1, max_lots + 1);
  return Quantity::from_raw(lots * contract.lot.raw());
}

Price gen_price() { return Price::from_raw(*rc::gen::inRange<std::int64_t>(1, 100'000 * Price::kScale)); }

// size × contract size × price at 27 decimals: the exact value before any rounding.
int128 exact_value27(Quantity size, Price fill_price, Quantity contract_size) {
  return static_cast<int128>(size.raw()) * contract_size.raw() * fill_price.raw();
}

constexpr int128 kMoneyTo27 = static_cast<int128>(1'000'000'000'000'000'000LL) * 1000;  // 10^21

PositionChange must_apply(const Position& position, Quantity size, Price fill_price,
                          Quantity contract_size) {
  const auto change = apply_fill(position, fill(size, fill_price), contract_size);
  RC_ASSERT(change.has_value());
  return *change;
}

RC_GTEST_PROP(PositionProperty, RoundTripPnlIsThePriceDifferenceToTheUnit, ()) {
  const Contract contract = *contracts();
  const bool long_side = *rc::gen::arbitrary<bool>();
  const Quantity opened = gen_size(contract, 1'000'000);
  const Quantity closed_part = Quantity::from_raw(
      *rc::gen::inRange<std::int64_t>(0, opened.raw() / contract.lot.raw() + 1) * contract.lot.raw());
  const Price entry = gen_price();
  const Price exit = gen_price();
  const Quantity signed_open = long_side ? opened : Quantity::from_raw(-opened.raw());
  Position position = must_apply(Position{}, signed_open, entry, contract.size).position;
  if (!closed_part.is_zero()) {
    const Quantity close = long_side ? Quantity::from_raw(-closed_part.raw()) : closed_part;
    position = must_apply(position, close, exit, contract.size).position;
  }
  const auto unrealized = unrealized_pnl(position, exit, contract.size);
  RC_ASSERT(unrealized.has_value());
  // Three roundings at most (open value, close value, mark value), each against the trader.
  const int128 exact = exact_value27(signed_open, exit, contract.size) -
                       exact_value27(signed_open, entry, contract.size);
  const int128 booked = static_cast<int128>(position.realized_pnl.raw() + unrealized->raw()) * kMoneyTo27;
  RC_ASSERT(booked <= exact);
  RC_ASSERT(exact - booked < 3 * kMoneyTo27);
}

RC_GTEST_PROP(PositionProperty, RealizedOverALifeIsMinusTheSumOfFillValues, ()) {
  const Contract contract = *contracts();
  const int fills = *rc::gen::inRange(1, 12);
  Position position;
  std::int64_t values = 0;
  for (int i = 0; i < fills; ++i) {
    Quantity size = gen_size(contract, 1000);
    if (*rc::gen::arbitrary<bool>()) size = Quantity::from_raw(-size.raw());
    const PositionChange change = must_apply(position, size, gen_price(), contract.size);
    // Per fill: what the side paid joined the basis, less what it realized.
    RC_ASSERT(change.value.raw() == change.position.cost_basis.raw() - position.cost_basis.raw() -
                                        change.realized_pnl.raw());
    values += change.value.raw();
    position = change.position;
  }
  if (!position.size.is_zero()) {
    const PositionChange change =
        must_apply(position, Quantity::from_raw(-position.size.raw()), gen_price(), contract.size);
    values += change.value.raw();
    position = change.position;
  }
  RC_ASSERT(position.cost_basis.is_zero());
  RC_ASSERT(position.realized_pnl.raw() == -values);
}

RC_GTEST_PROP(PositionProperty, FlipEqualsCloseThenOpen, ()) {
  const Contract contract = *contracts();
  const bool long_side = *rc::gen::arbitrary<bool>();
  const Quantity held = gen_size(contract, 100'000);
  const Quantity beyond = gen_size(contract, 100'000);
  const Price entry = gen_price();
  const Price at = gen_price();
  const auto sign = [&](Quantity q, bool positive) { return positive ? q : Quantity::from_raw(-q.raw()); };
  const Position start = must_apply(Position{}, sign(held, long_side), entry, contract.size).position;
  const PositionChange flip =
      must_apply(start, sign(Quantity::from_raw(held.raw() + beyond.raw()), !long_side), at, contract.size);
  const PositionChange close = must_apply(start, sign(held, !long_side), at, contract.size);
  const PositionChange open = must_apply(close.position, sign(beyond, !long_side), at, contract.size);
  RC_ASSERT(flip.realized_pnl == close.realized_pnl);
  RC_ASSERT(flip.position.size == open.position.size);
  RC_ASSERT(flip.position.realized_pnl == open.position.realized_pnl);
  // The flip books one rounded value where two fills book two: its new basis is the rest of
  // that value, at most one micro-unit below the separate open's.
  const std::int64_t gap = open.position.cost_basis.raw() - flip.position.cost_basis.raw();
  RC_ASSERT(gap == close.value.raw() + open.value.raw() - flip.value.raw());
  RC_ASSERT(gap == 0 || gap == 1);
}

RC_GTEST_PROP(PositionProperty, AFillSumsToZeroAcrossBuyerAndSeller, ()) {
  const Contract contract = *contracts();
  // Both sides may already hold anything; the matched fill moves value only between them and
  // the fee pool (fees, plus the residual of the one rounding each side sees).
  const auto start = [&] {
    Quantity size = gen_size(contract, 10'000);
    if (*rc::gen::arbitrary<bool>()) size = Quantity::from_raw(-size.raw());
    return must_apply(Position{}, size, gen_price(), contract.size).position;
  };
  const Position buyer = start();
  const Position seller = start();
  const Quantity size = gen_size(contract, 10'000);
  const Price at = gen_price();
  const Money fee_buyer = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, 1'000'000));
  const Money fee_seller = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, 1'000'000));
  const PositionChange bought = must_apply(buyer, size, at, contract.size);
  const PositionChange sold = must_apply(seller, Quantity::from_raw(-size.raw()), at, contract.size);
  const auto residual = fill_residual(size, at, contract.size);
  RC_ASSERT(residual.has_value());
  RC_ASSERT(residual->raw() == 0 || residual->raw() == 1);
  // Cash: the buyer pays value, the seller receives −value; the difference is the residual.
  const std::int64_t cash_buyer = -bought.value.raw() - fee_buyer.raw();
  const std::int64_t cash_seller = -sold.value.raw() - fee_seller.raw();
  const std::int64_t fee_pool = fee_buyer.raw() + fee_seller.raw() + residual->raw();
  RC_ASSERT(cash_buyer + cash_seller + fee_pool == 0);
  // Round trip between the two at a second price: realized PnL sums to minus the residuals.
  const Price back = gen_price();
  const Position buyer_flat = must_apply(Position{}, size, at, contract.size).position;
  const Position seller_flat =
      must_apply(Position{}, Quantity::from_raw(-size.raw()), at, contract.size).position;
  const PositionChange buyer_out = must_apply(buyer_flat, Quantity::from_raw(-size.raw()), back, contract.size);
  const PositionChange seller_out = must_apply(seller_flat, size, back, contract.size);
  const auto residual_back = fill_residual(size, back, contract.size);
  RC_ASSERT(residual_back.has_value());
  RC_ASSERT(buyer_out.position.realized_pnl.raw() + seller_out.position.realized_pnl.raw() ==
            -(residual->raw() + residual_back->raw()));
}

RC_GTEST_PROP(PositionProperty, PartialCloseNeverRealizesMoreThanTheExactShare, ()) {
  const Contract contract = *contracts();
  const Quantity held = gen_size(contract, 100'000);
  const Quantity part = Quantity::from_raw(
      *rc::gen::inRange<std::int64_t>(1, held.raw() / contract.lot.raw() + 1) * contract.lot.raw());
  const Position start = must_apply(Position{}, held, gen_price(), contract.size).position;
  const PositionChange change =
      must_apply(start, Quantity::from_raw(-part.raw()), gen_price(), contract.size);
  // realized ≤ cash in − basis × part / held, compared without dividing.
  const int128 lhs = static_cast<int128>(change.realized_pnl.raw()) * held.raw();
  const int128 rhs = static_cast<int128>(-change.value.raw()) * held.raw() -
                     static_cast<int128>(start.cost_basis.raw()) * part.raw();
  RC_ASSERT(lhs <= rhs);
  RC_ASSERT(rhs - lhs < static_cast<int128>(held.raw()));  // less than one micro-unit below
}

}  // namespace
}  // namespace ballast::market
