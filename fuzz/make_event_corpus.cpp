// Writes the seed corpus of fuzz_event_decoder: the binary encoding and the JSON text of one
// event of every kind, a few edge cases, and a JSON Lines stream. Run it from the repository
// root (`build/<preset>/bin/make_event_corpus fuzz/corpus/event_decoder`) after changing the
// codec; the ids and timestamps fit the venue the fuzz target sets up (ids 1..9 used, clock at
// 1700000000000000009).

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "ballast/engine/codec.hpp"

namespace {

using namespace ballast;

constexpr TimestampNs kTs = 1'700'000'000'000'001'000;

bool write(const std::string& folder, const std::string& name, const std::string& bytes) {
  std::ofstream out(folder + "/" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_event_corpus FOLDER\n");
    return 2;
  }
  const std::string folder = argv[1];
  const std::vector<std::pair<std::string, Event>> events = {
      {"list_asset", {EventId{100}, kTs, ListAsset{AssetId{3}, "ETH", 18, kAssetFlagsAll}}},
      {"set_asset_flags", {EventId{101}, kTs, SetAssetFlags{AssetId{1}, kAssetDeposits}}},
      {"create_account", {EventId{102}, kTs, CreateAccount{AccountId{18}}}},
      {"create_sub_account",
       {EventId{103}, kTs,
        CreateSubAccount{AccountId{16}, SubAccountId{102}, MarginMode::isolated}}},
      {"deposit",
       {EventId{104}, kTs,
        Deposit{AccountId{16}, SubAccountId{101}, AssetId{1}, Amount::from_raw(2'500'000)}}},
      {"withdraw",
       {EventId{105}, kTs,
        Withdraw{AccountId{16}, SubAccountId{100}, AssetId{1}, Amount::from_raw(250'000)}}},
      {"transfer",
       {EventId{106}, kTs,
        Transfer{AccountId{16}, SubAccountId{100}, SubAccountId{101}, AssetId{1},
                 Amount::from_raw(1'000)}}},
      // Edges: rejected by the engine for different reasons, all well-formed.
      {"withdraw_too_much",
       {EventId{107}, kTs,
        Withdraw{AccountId{17}, SubAccountId{170}, AssetId{2}, Amount::from_raw(501)}}},
      {"deposit_max",
       {EventId{108}, kTs,
        Deposit{AccountId{17}, SubAccountId{170}, AssetId{2}, Amount::from_raw(INT64_MAX)}}},
      {"list_asset_long_symbol",
       {EventId{109}, kTs, ListAsset{AssetId{4}, std::string(64, 'S'), 6, 0}}},
      {"transfer_foreign",
       {EventId{110}, kTs,
        Transfer{AccountId{16}, SubAccountId{100}, SubAccountId{170}, AssetId{1},
                 Amount::from_raw(1)}}},
      // Bytes with no name, carried by both codecs and rejected by the engine (flags_invalid,
      // mode_invalid); their JSON writes the raw byte as an integer.
      {"set_asset_flags_unknown_bits",
       {EventId{111}, kTs, SetAssetFlags{AssetId{1}, kAssetFlagsAll | 0x08}}},
      {"create_sub_account_unnamed_mode",
       {EventId{112}, kTs,
        CreateSubAccount{AccountId{16}, SubAccountId{103}, static_cast<MarginMode>(2)}}},
      // Margin events: the fuzz venue has no risk configuration, so the engine answers
      // asset_unknown / instrument_unknown, after the shape checks (price_invalid, ...).
      {"oracle_price",
       {EventId{113}, kTs,
        OraclePrice{AssetId{2}, Price::from_raw(65'000'000'000'000),
                    Price::from_raw(64'900'000'000'000)}}},
      {"mark_price", {EventId{114}, kTs, MarkPrice{InstrumentId{10}, Price::from_raw(-1)}}},
      {"fill",
       {EventId{115}, kTs,
        Fill{AccountId{16}, SubAccountId{100}, InstrumentId{10}, Quantity::from_raw(-250'000'000),
             Price::from_raw(65'000'500'000'000), Money::from_raw(4'063)}}},
      {"oracle_quotes",
       {EventId{116}, kTs,
        OracleQuotes{AssetId{2},
                     {{0, Price::from_raw(65'000'000'000'000), Price::from_raw(5'000'000'000), kTs},
                      {1, Price::from_raw(65'010'000'000'000), Price{}, kTs - 1}}}}},
      {"accrue_funding",
       {EventId{117}, kTs, AccrueFunding{InstrumentId{10}, Price{}, Price{}}}},
      {"settle_expiry", {EventId{118}, kTs, SettleExpiry{InstrumentId{11}}}},
      {"liquidate",
       {EventId{119}, kTs,
        Liquidate{AccountId{17}, SubAccountId{200}, SubAccountId{100}, InstrumentId{10},
                  Quantity::from_raw(127'000'000), Price::from_raw(45'045'000'000'000)}}},
      {"check_health", {EventId{120}, kTs, CheckHealth{SubAccountId{100}}}},
      {"resolve_bankruptcy", {EventId{121}, kTs, ResolveBankruptcy{SubAccountId{100}}}},
      {"vault_deposit", {EventId{122}, kTs, VaultDeposit{AccountId{16}, SubAccountId{100}, Amount::from_raw(5'000'000)}}},
      {"vault_request_withdrawal",
       {EventId{123}, kTs, VaultRequestWithdrawal{AccountId{16}, lending::VaultShares::from_raw(2'000'000'000)}}},
      {"vault_cancel_withdrawal", {EventId{124}, kTs, VaultCancelWithdrawal{AccountId{16}}}},
      {"vault_withdraw", {EventId{125}, kTs, VaultWithdraw{AccountId{16}, SubAccountId{100}}}},
      {"backstop_takeover", {EventId{126}, kTs, BackstopTakeover{SubAccountId{100}}}},
      {"accrue_interest", {EventId{127}, kTs, AccrueInterest{AssetId{1}}}},
      {"borrow", {EventId{128}, kTs, Borrow{AccountId{16}, SubAccountId{100}, AssetId{1}, Amount::from_raw(18'000'000'000)}}},
      {"liquidate_borrow",
       {EventId{129}, kTs,
        LiquidateBorrow{AccountId{17}, SubAccountId{200}, SubAccountId{100}, AssetId{1}, Amount::from_raw(4'000'000'000),
                        AssetId{2}, Amount::from_raw(47'529'411)}}},
      {"set_market_depth", {EventId{130}, kTs, SetMarketDepth{InstrumentId{10}, Money::from_raw(2'500'000'000'000)}}},
      {"emergency_settle", {EventId{131}, kTs, EmergencySettle{InstrumentId{10}}}},
      {"propose_parameter",
       {EventId{132}, kTs, ProposeParameter{governance::ProposalId{7}, governance::ParameterKey{1}, 70'000'000'000}}},
      {"cancel_proposal", {EventId{133}, kTs, CancelProposal{governance::ProposalId{7}}}},
      {"execute_proposal", {EventId{134}, kTs, ExecuteProposal{governance::ProposalId{8}}}},
      {"cover_bad_debt", {EventId{135}, kTs, CoverBadDebt{AssetId{1}, Amount::from_raw(6'000'000'000)}}},
      {"liquidate_portfolio",
       {EventId{136}, kTs,
        LiquidatePortfolio{AccountId{17}, SubAccountId{200}, SubAccountId{102}, 47'000, Ratio::from_raw(10'000'000'000)}}},
      {"retry_of_setup",
       {EventId{1}, 1'700'000'000'000'000'001, ListAsset{AssetId{1}, "USDC", 6, kAssetFlagsAll}}},
  };
  std::string stream;
  for (const auto& [name, e] : events) {
    if (!write(folder, "bin_" + name, encode_event(e))) return 1;
    if (!write(folder, "json_" + name + ".json", event_to_json(e))) return 1;
    stream += event_to_json(e) + "\n";
  }
  // A stream with the forms event_to_json does not write: amounts and ids as digit strings,
  // defaults left out, a blank line, and a line that is not an event.
  stream += R"({"id":"200","ts":"1700000000000002000","type":"deposit","account":17,)"
            R"("sub_account":170,"asset":2,"amount":"42"})"
            "\n\n"
            R"({"id":201,"ts":1700000000000002001,"type":"create_sub_account","account":17,)"
            R"("sub_account":171})"
            "\n"
            "not json\n"
            R"({"id":202,"ts":1700000000000002002,"type":"list_asset","asset":5,"symbol":"SOL",)"
            R"("decimals":9})"
            "\n";
  return write(folder, "jsonl_stream.jsonl", stream) ? 0 : 1;
}
