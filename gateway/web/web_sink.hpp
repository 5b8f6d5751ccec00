#pragma once
// The WebSocket/HTTP gateway's engine-thread side (no Beast here): while a batch is applied it turns the
// exchange's events into JSON lines addressed to a participant, a public channel or one session, and once
// the batch is durable it releases them, in order, to the I/O thread. Engine-thread queries (book,
// instruments, trades) answer from here too, so a snapshot sits exactly where it belongs in the stream.
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exchange.hpp"
#include "market_stats.hpp"
#include "cpx/events.hpp"
#include "cpx/matching_engine.hpp"
#include "json/command_codec.hpp"
#include "json/event_codec.hpp"
#include "json/names.hpp"
#include "server/auction_runner.hpp"
#include "server/sequencer.hpp"

namespace cpx::web {

struct WebItem {
  enum class Kind : uint8_t {
    Participant,  // a private event: to the session that made the request, and to the participant's feeds
    Channel,      // a public event: to the channel's subscribers
    Session,      // to one session only (replies, refusals, admin acks, query answers)
    Subscribed,   // a subscription's snapshot: the session joins the channel here in the stream
    EndRequest,   // everything the session's request caused has been released
    Failed,       // the batch could not be made durable: the request was not acknowledged
    LoggedIn,     // the session acts for `participant` from here on (text: the reply, may be empty)
  };
  Kind kind;
  bool is_trade = false;  // Participant: a fill (for the "executions" feed)
  uint64_t session = 0;   // the request's origin (Participant) or the addressee (Session, Subscribed, ...)
  ParticipantId participant = kNoParticipant;
  std::string channel;
  std::string text;      // one JSON object, no newline
  int http_status = 0;   // Session: the HTTP status of a refusal (0: the endpoint's usual answer)
  uint64_t seq = 0;      // Channel: the message's number in its channel (also in `text` as "seq")
  bool skip_origin = false;  // Participant: the requesting session got its own copy (with the request's id)
};

class WebSink final : public EventListener, public server::BatchSink {
 public:
  // Engine thread: must only hand the items over (it must not block on a client).
  using Release = std::function<void(std::vector<WebItem>&&)>;
  WebSink(const MatchingEngine& engine, const api::NameResolver& names, Release release);

  // --- engine thread: from the gateway's Prepare closures ---
  void reply(uint64_t session, std::string text, int http_status = 0);
  void subscribed(uint64_t session, std::string channel, std::string snapshot);
  void logged_in(uint64_t session, ParticipantId participant, std::string text);
  // The request being applied carries this "id" (JSON text) from a session acting for `acting`: the
  // events it causes for that participant reach the requesting session with the id (its feeds' copies,
  // and the other parties', without). Reset at every request.
  void request_id(std::string id_json, ParticipantId acting) {
    request_id_ = std::move(id_json);
    request_acting_ = acting;
  }
  // Query answers (JSON objects).
  std::string instruments_json() const;
  std::string network_json() const;
  // Price discovery (docs/PRODUCT.md §7): CPX indices over (now - window, now] and an instrument's OHLCV bars.
  std::string indices_json(const persistence::Exchange& exchange, Timestamp now, int64_t window_ns) const;
  std::string bars_json(const persistence::Exchange& exchange, InstrumentId id, Timestamp now, int64_t interval_ns,
                        size_t limit) const;  // the links between regions: latency, capacity, tariff, carrier
  // With "seq", the number of the channel book.SYMBOL's last message it reflects, and "complete": whether
  // every level of both sides is in it (only a complete snapshot plus the deltas rebuilds the book).
  std::string book_json(InstrumentId id, size_t depth) const;
  // The number of the channel's last message (0: none yet). A snapshot taken now is followed, in the
  // stream, by exactly the messages numbered from this + 1.
  uint64_t channel_seq(const std::string& channel) const;
  // The public tape (persistence::trade_tape: from the contracts, so it survives restarts) with its cursor.
  std::string trades_json(const persistence::TapeQuery& q) const;
  // The day-ahead auctions (market_json.cpp): every day's state, and one day's published result (zone
  // prices per hour, link flows and congestion, order counts, the solver's figures).
  std::string auctions_json(const server::AuctionRunner& runner) const;
  std::string auction_json(Timestamp day, const server::AuctionRunner& runner) const;
  // Monitoring per region x class over [from, to): registered, offered, sold, utilisation.
  std::string monitor_json(const persistence::Exchange& exchange, Timestamp from, Timestamp to) const;
  // The channels "indices" and "monitor" are refreshed from these at most every kMarketPublishNs of
  // exchange time, after batches that traded; "auctions" gets a cleared day's published result.
  void set_market(const persistence::Exchange* exchange, const server::AuctionRunner* runner) {
    exchange_ = exchange;
    runner_ = runner;
  }
  static constexpr int64_t kMarketPublishNs = 10 * kNanosPerSecond;

  // BatchSink
  void begin_request(uint64_t origin) override;
  void end_batch(bool durable) override;

  // EventListener
  void on_accepted(const OrderAccepted& e) override;
  void on_rejected(const OrderRejected& e) override;
  void on_trade(const Trade& e) override;
  void on_done(const OrderDone& e) override;
  void on_replaced(const OrderReplaced& e) override;
  void on_restated(const OrderRestated& e) override;
  void on_book_change(const BookChange& e) override;
  void on_instrument_state(const InstrumentStateChanged& e) override;
  void on_mass_cancel(const MassCancelDone& e) override;
  void on_admin(const AdminDone& e) override;
  void on_settlement(const SettlementEvent& e) override;
  void on_route_accepted(const RouteAccepted& e) override;
  void on_route_done(const RouteDone& e) override;
  // Auction events (market_json.cpp): orders and awards to their participants, state to "auctions".
  void on_auction_state(const AuctionStateChanged& e) override;
  void on_auction_order(const AuctionOrderAccepted& e) override;
  void on_auction_order_done(const AuctionOrderDone& e) override;
  void on_auction_award(const AuctionAward& e) override;

 private:
  std::string take_line();  // the line the writer just wrote, without its newline
  void to_participant(ParticipantId p, const std::string& text, bool is_trade = false);
  // A public message, numbered in its channel ("seq", from 1; numbers restart with the process, and a
  // client resubscribes after a reconnect anyway). Nothing is released after a failed batch (the
  // sequencer stops), so numbers handed out in it are never seen, not reused.
  void to_channel(std::string channel, std::string text);

  const MatchingEngine& engine_;
  const api::NameResolver& names_;
  Release release_;
  std::string scratch_;
  api::JsonEventWriter writer_;
  std::vector<WebItem> staged_;
  std::vector<uint64_t> origins_;  // the batch's requesting sessions (to tell them on a failed write)
  uint64_t origin_ = 0;
  std::string request_id_;
  ParticipantId request_acting_ = kNoParticipant;
  std::string with_request_id(std::string text) const;
  std::unordered_map<std::string, uint64_t> channel_seq_;
  const persistence::Exchange* exchange_ = nullptr;
  const server::AuctionRunner* runner_ = nullptr;
  bool market_changed_ = false;
  Timestamp last_market_publish_ = 0;
  void publish_market();
};

// {"ev":"error","reason":...,"text":...,"cmd":...,"cl_ord_id":...,"id":...}; `id_json` is the request's
// "id" as JSON text (empty: none).
std::string error_json(std::string_view reason, std::string_view text, std::string_view cmd = {},
                       std::string_view cl_ord_id = {}, std::string_view id_json = {});
std::string error_json(const api::DecodeError& e, std::string_view id_json = {});

}  // namespace cpx::web
