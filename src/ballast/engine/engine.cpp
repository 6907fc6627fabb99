#include "ballast/engine/engine.hpp"

#include <algorithm>
#include <vector>

#include "ballast/engine/codec.hpp"
#include "ballast/engine/risk_codec.hpp"

namespace ballast {
namespace {

constexpr std::uint32_t kSnapshotMagic = 0x54534c42;  // "BLST" little-endian
// 2: the risk configuration, the engine options (and, later in the same version, prices and
// positions) joined the state. Version 1 snapshots are not read: their bytes re-encode
// differently, so their recorded hash could not be verified anyway.
constexpr std::uint32_t kSnapshotVersion = 2;
Status amount_shape(Amount amount) {
  if (amount.is_zero()) return Status::amount_zero;
  if (amount.is_negative()) return Status::amount_negative;
  return Status::ok;
}

// The checks for one event kind, each written in Status precedence order.
class Validator {
 public:
  Validator(const Ledger& ledger, const margin::RiskConfig* risk, const PriceState& prices,
            const EngineOptions& options, TimestampNs now_ns)
      : ledger_(ledger), risk_(risk), prices_(prices), options_(options), now_ns_(now_ns) {}

  Status operator()(const ListAsset& e) const {
    if (!asset_symbol_valid(e.symbol)) return Status::symbol_invalid;
    if (e.decimals > kMaxDecimals) return Status::decimals_invalid;
    // The margin calculator reads amounts at the risk configuration's decimals.
    if (const margin::AssetRisk* configured = risk_ ? risk_->find_asset(e.asset) : nullptr;
        configured != nullptr && configured->decimals != e.decimals) {
      return Status::decimals_invalid;
    }
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    if (ledger_.find_asset(e.asset) != nullptr) return Status::asset_exists;
    if (ledger_.symbol_listed(e.symbol)) return Status::symbol_exists;
    return Status::ok;
  }
  Status operator()(const SetAssetFlags& e) const {
    if (!asset_flags_known(e.flags)) return Status::flags_invalid;
    return ledger_.find_asset(e.asset) == nullptr ? Status::asset_unknown : Status::ok;
  }
  Status operator()(const CreateAccount& e) const {
    if (e.account.value < kFirstUserId) return Status::account_id_reserved;
    if (ledger_.has_account(e.account)) return Status::account_exists;
    return Status::ok;
  }
  Status operator()(const CreateSubAccount& e) const {
    if (e.mode != MarginMode::cross && e.mode != MarginMode::isolated) return Status::mode_invalid;
    if (e.sub_account.value < kFirstUserId) return Status::account_id_reserved;
    if (!ledger_.has_account(e.account)) return Status::account_unknown;
    if (ledger_.find_sub_account(e.sub_account) != nullptr) return Status::sub_account_exists;
    return Status::ok;
  }
  Status operator()(const Deposit& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetDeposits) == 0) return Status::deposits_disabled;
    if (!ledger_.deposit_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const Withdraw& e) const {
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.sub_account, e.asset, e.amount, asset);
        s != Status::ok) {
      return s;
    }
    if ((asset->flags & kAssetWithdrawals) == 0) return Status::withdrawals_disabled;
    if (e.amount > ledger_.free_balance(e.sub_account, e.asset)) {
      return Status::insufficient_balance;
    }
    if (!ledger_.withdraw_fits(e.sub_account, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const Transfer& e) const {
    if (const Status s = amount_shape(e.amount); s != Status::ok) return s;
    if (e.from == e.to) return Status::same_sub_account;
    const Asset* asset = nullptr;
    if (const Status s = owned_move(e.account, e.from, e.asset, e.amount, asset); s != Status::ok) {
      return s;
    }
    const SubAccount* to = ledger_.find_sub_account(e.to);
    if (to == nullptr) return Status::to_sub_account_unknown;
    if (to->owner != e.account) return Status::to_sub_account_foreign;
    if ((asset->flags & kAssetTransfers) == 0) return Status::transfers_disabled;
    if (e.amount > ledger_.free_balance(e.from, e.asset)) return Status::insufficient_balance;
    if (!ledger_.transfer_fits(e.to, e.asset, e.amount)) return Status::balance_overflow;
    return Status::ok;
  }
  Status operator()(const OraclePrice& e) const {
    if (e.price.raw() <= 0 || e.stable_price.raw() <= 0) return Status::price_invalid;
    if (risk_ == nullptr || risk_->find_asset(e.asset) == nullptr) return Status::asset_unknown;
    return Status::ok;
  }
  Status operator()(const MarkPrice& e) const {
    if (e.mark.is_negative()) return Status::price_invalid;
    const margin::MarketRisk* market = find_market(e.instrument);
    if (market == nullptr) return Status::instrument_unknown;
    // Judged once the instrument is known: only an option may be worth nothing.
    if (e.mark.is_zero() && market->instrument.kind != market::InstrumentKind::option) {
      return Status::price_invalid;
    }
    return Status::ok;
  }
  Status operator()(const Fill& e) const {
    (void)e;
    return Status::instrument_unknown;  // fills are refused until their execution lands
  }

 private:
  const margin::MarketRisk* find_market(InstrumentId id) const {
    return risk_ == nullptr ? nullptr : risk_->find_market(id);
  }

  // Shared checks of a value movement out of or into a sub-account the actor must own.
  Status owned_move(AccountId account, SubAccountId sub_account_id, AssetId asset_id,
                    Amount amount, const Asset*& asset) const {
    if (const Status s = amount_shape(amount); s != Status::ok) return s;
    asset = ledger_.find_asset(asset_id);
    if (asset == nullptr) return Status::asset_unknown;
    if (!ledger_.has_account(account)) return Status::account_unknown;
    const SubAccount* sub_account = ledger_.find_sub_account(sub_account_id);
    if (sub_account == nullptr) return Status::sub_account_unknown;
    if (sub_account->owner != account) return Status::sub_account_foreign;
    return Status::ok;
  }

  const Ledger& ledger_;
  const margin::RiskConfig* risk_;
  const PriceState& prices_;
  const EngineOptions& options_;
  TimestampNs now_ns_;
};

class Executor {
 public:
  Executor(Ledger& ledger, PriceState& prices, TimestampNs now_ns)
      : ledger_(ledger), prices_(prices), now_ns_(now_ns) {}

  void operator()(const ListAsset& e) { ledger_.list_asset(e.asset, e.symbol, e.decimals, e.flags); }
  void operator()(const SetAssetFlags& e) { ledger_.set_asset_flags(e.asset, e.flags); }
  void operator()(const CreateAccount& e) { ledger_.create_account(e.account); }
  void operator()(const CreateSubAccount& e) {
    ledger_.create_sub_account(e.sub_account, e.account, e.mode);
  }
  void operator()(const Deposit& e) { ledger_.deposit(e.sub_account, e.asset, e.amount); }
  void operator()(const Withdraw& e) { ledger_.withdraw(e.sub_account, e.asset, e.amount); }
  void operator()(const Transfer& e) { ledger_.transfer(e.from, e.to, e.asset, e.amount); }
  void operator()(const OraclePrice& e) {
    prices_.set_asset(e.asset, e.price, e.stable_price, now_ns_);
  }
  void operator()(const MarkPrice& e) { prices_.set_mark(e.instrument, e.mark, now_ns_); }
  void operator()(const Fill& e) {
    (void)e;
    BALLAST_ASSERT(false);  // never validated yet
  }

 private:
  Ledger& ledger_;
  PriceState& prices_;
  TimestampNs now_ns_;
};

template <typename T, typename Id>
std::size_t sorted_index(const std::vector<T>& items, Id id, Id T::*key) {
  const auto it = std::lower_bound(items.begin(), items.end(), id,
                                   [key](const T& item, Id wanted) { return item.*key < wanted; });
  return static_cast<std::size_t>(it - items.begin());
}

Error snapshot_error(std::string_view what) {
  return make_error(ErrorCode::corrupt, "engine snapshot: " + std::string(what));
}

}  // namespace

void PriceState::set_asset(AssetId asset, Price oracle, Price stable, TimestampNs now_ns) {
  const std::size_t i = sorted_index(book.assets, asset, &margin::AssetPrice::asset);
  const auto offset = static_cast<std::ptrdiff_t>(i);
  if (i == book.assets.size() || book.assets[i].asset != asset) {
    book.assets.insert(book.assets.begin() + offset, margin::AssetPrice{asset, {}, {}, {}, {}});
    asset_set_ns.insert(asset_set_ns.begin() + offset, 0);
  }
  book.assets[i].oracle = oracle;
  book.assets[i].stable = stable;
  asset_set_ns[i] = now_ns;
}

void PriceState::set_mark(InstrumentId instrument, Price mark, TimestampNs now_ns) {
  const std::size_t i = sorted_index(book.markets, instrument, &margin::MarketPrice::instrument);
  const auto offset = static_cast<std::ptrdiff_t>(i);
  if (i == book.markets.size() || book.markets[i].instrument != instrument) {
    book.markets.insert(book.markets.begin() + offset, margin::MarketPrice{instrument, {}, {}});
    market_set_ns.insert(market_set_ns.begin() + offset, 0);
  }
  book.markets[i].mark = mark;
  market_set_ns[i] = now_ns;
}

std::optional<TimestampNs> PriceState::asset_set_ns_of(AssetId asset) const {
  const std::size_t i = sorted_index(book.assets, asset, &margin::AssetPrice::asset);
  if (i == book.assets.size() || book.assets[i].asset != asset) return std::nullopt;
  return asset_set_ns[i];
}

std::optional<TimestampNs> PriceState::mark_set_ns_of(InstrumentId instrument) const {
  const std::size_t i = sorted_index(book.markets, instrument, &margin::MarketPrice::instrument);
  if (i == book.markets.size() || book.markets[i].instrument != instrument) return std::nullopt;
  return market_set_ns[i];
}

Engine::Engine(margin::RiskConfig risk, EngineOptions options)
    : has_risk_(true), risk_(std::move(risk)), options_(options) {
  BALLAST_ASSERT(risk_.validate().ok() && risk_.pnl.validate().ok());
  BALLAST_ASSERT(options_.price_max_age_ns > 0);
}

Result<Engine> Engine::make(margin::RiskConfig risk, EngineOptions options) {
  if (Outcome valid = risk.validate(); !valid) return std::move(valid).error();
  if (Outcome valid = risk.pnl.validate(); !valid) {
    return make_error(ErrorCode::invalid_input, "pnl policy: " + valid.error().message);
  }
  if (options.price_max_age_ns <= 0) {
    return make_error(ErrorCode::invalid_input, "price_max_age_ns must be positive, got " +
                                                    std::to_string(options.price_max_age_ns));
  }
  return Engine(std::move(risk), options);
}

Status Engine::apply(const Event& event) {
  scratch_.clear();
  encode_event_into(event, scratch_);
  const std::uint64_t fingerprint = fingerprint64(scratch_.bytes());
  const Status status = validate(event, fingerprint);
  if (status != Status::ok) {
    return status;
  }
  clock_ns_ = event.timestamp_ns;  // execution reads the event's time as "now"
  execute(event.body);
  applied_.emplace(event.id, fingerprint);
  return Status::ok;
}

Status Engine::validate(const Event& event, std::uint64_t fingerprint) const {
  if (event.id.value == 0) return Status::id_zero;
  if (event.timestamp_ns <= 0) return Status::timestamp_invalid;
  if (const auto seen = applied_.find(event.id); seen != applied_.end()) {
    return seen->second == fingerprint ? Status::exists : Status::id_reused;
  }
  if (event.timestamp_ns < clock_ns_) return Status::timestamp_regressed;
  return std::visit(Validator(ledger_, risk_config(), prices_, options_, event.timestamp_ns),
                    event.body);
}

void Engine::execute(const EventBody& body) {
  std::visit(Executor(ledger_, prices_, clock_ns_), body);
}

Digest Engine::state_hash() const { return sha256(snapshot()); }

std::string Engine::snapshot() const {
  ByteWriter out;
  out.u32(kSnapshotMagic);
  out.u32(kSnapshotVersion);
  out.i64(clock_ns_);
  std::vector<std::pair<EventId, std::uint64_t>> applied(applied_.begin(), applied_.end());
  std::sort(applied.begin(), applied.end());
  out.u64(applied.size());
  for (const auto& [id, fingerprint] : applied) {
    out.u64(id.value);
    out.u64(fingerprint);
  }
  ledger_.encode(out);
  out.u8(has_risk_ ? 1 : 0);
  if (has_risk_) encode_risk_config(out, risk_);
  out.i64(options_.price_max_age_ns);
  out.u32(static_cast<std::uint32_t>(prices_.book.assets.size()));
  for (std::size_t i = 0; i < prices_.book.assets.size(); ++i) {
    const margin::AssetPrice& price = prices_.book.assets[i];
    out.u32(price.asset.value);
    out.i64(price.oracle.raw());
    out.i64(price.stable.raw());
    out.i64(prices_.asset_set_ns[i]);
  }
  out.u32(static_cast<std::uint32_t>(prices_.book.markets.size()));
  for (std::size_t i = 0; i < prices_.book.markets.size(); ++i) {
    const margin::MarketPrice& price = prices_.book.markets[i];
    out.u32(price.instrument.value);
    out.i64(price.mark.raw());
    out.i64(prices_.market_set_ns[i]);
  }
  return out.take();
}

Result<Engine> Engine::restore(std::string_view snapshot) {
  ByteReader in(snapshot);
  const auto magic = in.u32();
  const auto version = in.u32();
  const auto clock = in.i64();
  if (!magic || *magic != kSnapshotMagic) return snapshot_error("not a Ballast snapshot");
  if (!version || *version != kSnapshotVersion) return snapshot_error("unsupported version");
  if (!clock || *clock < 0) return snapshot_error("bad clock");
  Engine engine;
  engine.clock_ns_ = *clock;
  return restore_idempotency(in, std::move(engine));
}

Result<Engine> Engine::restore_idempotency(ByteReader& in, Engine engine) {
  const auto count = in.u64();
  if (!count || *count > in.remaining() / 16) return snapshot_error("bad idempotency count");
  engine.applied_.reserve(*count);
  EventId previous{0};
  for (std::uint64_t i = 0; i < *count; ++i) {
    const auto id = in.u64();
    const auto fingerprint = in.u64();
    if (!id || !fingerprint || EventId{*id} <= previous) {
      return snapshot_error("idempotency ids not in strictly increasing order");
    }
    previous = EventId{*id};
    engine.applied_.emplace(previous, *fingerprint);
  }
  auto ledger = Ledger::decode(in);
  if (!ledger) return std::move(ledger).error();
  engine.ledger_ = std::move(*ledger);
  return restore_risk(in, std::move(engine));
}

Result<Engine> Engine::restore_risk(ByteReader& in, Engine engine) {
  const auto has_risk = in.u8();
  if (!has_risk || *has_risk > 1) return snapshot_error("bad risk configuration flag");
  engine.has_risk_ = *has_risk == 1;
  if (engine.has_risk_) {
    auto risk = decode_risk_config(in);
    if (!risk) return snapshot_error(risk.error().message);
    engine.risk_ = std::move(*risk);
  }
  const auto max_age = in.i64();
  if (!max_age || *max_age <= 0) return snapshot_error("bad price_max_age_ns");
  engine.options_.price_max_age_ns = *max_age;
  // Every position is in a derivative market of the configuration, as fills put it there.
  for (const SubAccount* sub_account : engine.ledger_.sub_accounts_in_order()) {
    for (const PositionEntry& held : sub_account->positions) {
      const margin::MarketRisk* market =
          engine.has_risk_ ? engine.risk_.find_market(held.instrument) : nullptr;
      if (market == nullptr || market->instrument.kind == market::InstrumentKind::spot) {
        return snapshot_error("position in sub-account " + std::to_string(sub_account->id.value) +
                              " is not in a derivative market of the risk configuration");
      }
    }
  }
  return restore_prices(in, std::move(engine));
}

// Prices are re-checked as the events that set them were: sorted, for configured assets and
// markets, valid values, set no later than the clock.
Result<Engine> Engine::restore_prices(ByteReader& in, Engine engine) {
  const margin::RiskConfig* risk = engine.risk_config();
  const auto asset_count = in.u32();
  if (!asset_count || *asset_count > in.remaining() / 28) return snapshot_error("bad price count");
  for (std::uint32_t i = 0; i < *asset_count; ++i) {
    const auto asset = in.u32();
    const auto oracle = in.i64();
    const auto stable = in.i64();
    const auto set_ns = in.i64();
    if (!asset || !oracle || !stable || !set_ns || *oracle <= 0 || *stable <= 0 || *set_ns <= 0 ||
        *set_ns > engine.clock_ns_ || risk == nullptr ||
        risk->find_asset(AssetId{*asset}) == nullptr ||
        (!engine.prices_.book.assets.empty() &&
         AssetId{*asset} <= engine.prices_.book.assets.back().asset)) {
      return snapshot_error("bad oracle price " + std::to_string(i));
    }
    engine.prices_.set_asset(AssetId{*asset}, Price::from_raw(*oracle), Price::from_raw(*stable),
                             *set_ns);
  }
  const auto market_count = in.u32();
  if (!market_count || *market_count > in.remaining() / 20) return snapshot_error("bad mark count");
  for (std::uint32_t i = 0; i < *market_count; ++i) {
    const auto instrument = in.u32();
    const auto mark = in.i64();
    const auto set_ns = in.i64();
    const margin::MarketRisk* market =
        instrument && risk != nullptr ? risk->find_market(InstrumentId{*instrument}) : nullptr;
    if (!instrument || !mark || !set_ns || market == nullptr || *mark < 0 ||
        (*mark == 0 && market->instrument.kind != market::InstrumentKind::option) ||
        *set_ns <= 0 || *set_ns > engine.clock_ns_ ||
        (!engine.prices_.book.markets.empty() &&
         InstrumentId{*instrument} <= engine.prices_.book.markets.back().instrument)) {
      return snapshot_error("bad mark " + std::to_string(i));
    }
    engine.prices_.set_mark(InstrumentId{*instrument}, Price::from_raw(*mark), *set_ns);
  }
  if (!in.at_end()) return snapshot_error("trailing bytes");
  return engine;
}

}  // namespace ballast
