#pragma once
// The FIX gateway's engine-thread side: FIX requests (as tags) become commands, resolved against the
// engine's current state; the engine's events become FIX messages addressed to a participant, a
// market-data symbol or one session, released once the batch is durable.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"
#include "cpx/matching_engine.hpp"
#include "fix/fix_api.hpp"
#include "server/sequencer.hpp"
#include "server/server_core.hpp"

namespace cpx::persistence {
struct Fill;
}

namespace cpx::fix {

// FIX tags CPX uses (docs/FIX.md), including its own user-defined ones (20000+).
namespace tag {
enum : int {
  Account = 1, AvgPx = 6, ClOrdID = 11, CumQty = 14, ExecID = 17, ExecInst = 18, LastPx = 31, LastQty = 32,
  OrderID = 37, OrderQty = 38, OrdStatus = 39, OrdType = 40, OrigClOrdID = 41, Price = 44, RefSeqNum = 45,
  Side = 54, Symbol = 55, Text = 58, TimeInForce = 59, TransactTime = 60, CxlRejReason = 102, OrdRejReason = 103,
  SecurityDesc = 107, ExpireTime = 126, NoRelatedSym = 146, ExecType = 150, LeavesQty = 151, MDReqID = 262,
  SubscriptionRequestType = 263, MarketDepth = 264, MDUpdateType = 265, NoMDEntryTypes = 267, NoMDEntries = 268,
  MDEntryType = 269, MDEntryPx = 270, MDEntrySize = 271, MDUpdateAction = 279, MDReqRejReason = 281,
  MDEntryPositionNo = 290, SecurityReqID = 320, SecurityResponseID = 322, RefMsgType = 372,
  BusinessRejectRefID = 379, BusinessRejectReason = 380, TotNoRelatedSym = 393, CxlRejResponseTo = 434,
  MassCancelRequestType = 530, MassCancelResponse = 531, MassCancelRejectReason = 532, TotalAffectedOrders = 533,
  PossResend = 97, SecurityListRequestType = 559, SecurityRequestResult = 560, RoundLot = 561, MassStatusReqID = 584,
  MassStatusReqType = 585, TotNumReports = 911, LastRptRequested = 912, SecondaryOrderID = 198,
  LastLiquidityInd = 851,
  // Fills and balances (fix_fills_balances.cpp).
  Commission = 12, CommType = 13, Currency = 15, TradeDate = 75, GrossTradeAmt = 381, NoSides = 552,
  TradeRequestID = 568, TradeRequestType = 569, PreviouslyReported = 570, TradeReportID = 571, NoDates = 580,
  TotNumTradeReports = 748, TradeRequestResult = 749, TradeRequestStatus = 750, TotalNetValue = 900,
  CollRptID = 908, CollInquiryID = 909, CollStatus = 910, CollInquiryStatus = 945, CollInquiryResult = 946,
  // FIX 4.4 ends at tag 956: a trade's id and an instrument's tick, which later versions define as 1003 and
  // 969, are CPX's own here (user-defined range), so a strict FIX 4.4 client accepts them.
  CpxReasonCode = 20001, CpxStpMode = 20002, CpxTradeNotional = 20010, CpxTradeFee = 20011,
  CpxPricePerScuHour = 20012, CpxTradeID = 20013, CpxRegion = 20020, CpxChipClass = 20021, CpxWindowStart = 20022,
  CpxWindowEnd = 20023, CpxInstrumentState = 20024, CpxMinPriceIncrement = 20025,
  // Routed orders (docs/PRODUCT.md §3.2, docs/FIX.md §3.7): the constraints of a NewOrderSingle with Symbol ROUTE
  // (the delivery window travels in CpxWindowStart/End), and what its reports add.
  CpxRouteClasses = 20030, CpxRouteRegions = 20031, CpxRouteOrigin = 20032, CpxMaxLatencyMs = 20033,
  CpxResidency = 20034, CpxMinGreenShare = 20035, CpxDataGb = 20036, CpxLandedLimit = 20037,
  CpxBookQty = 20040, CpxTransportFee = 20041, CpxRouteDevices = 20042, CpxComputeCost = 20043,
  CpxRouteFees = 20044, CpxTransportCost = 20045, CpxBookPx = 20046,
  // A TradeCaptureReport's maker/taker (LastLiquidityInd's values; 851 is not an AE field in FIX 4.4), the
  // request's cursor and page, and whether more fills follow; a CollateralReport's balances (CNY).
  CpxLiquidityInd = 20047, CpxAfterTradeID = 20050, CpxMaxReports = 20051, CpxMoreReports = 20052,
  CpxCash = 20060, CpxReservedByOpenBuys = 20061, CpxAvailable = 20062, CpxEscrowed = 20063, CpxRevenue = 20064,
  CpxOpenOrders = 20065,
  // A day-ahead auction order's delivery day (00:00 CST) and a bid's SCU per hour, asked and accepted.
  CpxAuctionDay = 20070, CpxScuPerHour = 20071, CpxAcceptedScuPerHour = 20072,
};
}  // namespace tag

// FIX UTCTimestamp with milliseconds; Side(54) of a side.
std::string utc_timestamp(Timestamp t);
char side_char(Side s);
char tif_char(TimeInForce t);  // TimeInForce(59) as FIX writes it
// Reading FIX field text (fix_sink.cpp): a whole decimal number; a UTCTimestamp
// (YYYYMMDD-HH:MM:SS[.fraction]); the words of a MultipleValueString. And a / b rounded half up (a >= 0, b > 0).
bool parse_int(const std::string& s, int64_t& out);
bool parse_utc_timestamp(const std::string& s, Timestamp& out);
std::vector<std::string> words(const std::string& s);
int64_t div_half_up(__int128 a, __int128 b);
// Makes `m` a BusinessMessageReject(j) of `req` with BusinessRejectReason(380) `reason` (fix_refusals.cpp).
void business_reject(fixapi::FixMessage& m, const fixapi::FixMessage& req, const char* reason);
// A TradeCaptureReportRequestAck (AQ) of `req` with TradeRequestResult(749) `result` and
// TradeRequestStatus(750) `status` (fix_refusals.cpp).
std::shared_ptr<fixapi::FixMessage> trade_request_ack(const fixapi::FixMessage& req, const char* result, const char* status);

// Symbol(55) of a NewOrderSingle that is a routed order; no listed symbol can be this (symbols are
// REGION.CLASS.TENOR.START).
inline constexpr const char* kRouteSymbol = "ROUTE";
// Symbol(55) of a day-ahead auction order or award in a status report or TradeCaptureReport.
inline constexpr const char* kAuctionSymbol = "AUCTION";

struct FixItem {
  enum class Kind : uint8_t {
    Participant,  // to the requesting session and the participant's other FIX sessions
    Session,      // to one session
    Symbol,       // market data: to the symbol's subscribers
    Subscribe,    // the session joins the symbol's market data here in the stream (message: the snapshot)
    Unsubscribe,
  };
  Kind kind;
  uint64_t session = 0;
  ParticipantId participant = kNoParticipant;
  std::string symbol;
  std::shared_ptr<const fixapi::FixMessage> message;
};

class FixSink final : public EventListener, public server::BatchSink {
 public:
  using Release = std::function<void(std::vector<FixItem>&&)>;
  FixSink(server::ServerCore& core, Release release);

  // Engine thread: a FIX request from `session` acting for `participant` -> commands, or a reject / an
  // answer staged for the session.
  void request(uint64_t session, ParticipantId participant, const fixapi::FixMessage& msg, Timestamp now,
               std::vector<Command>& out);

  // Engine thread, in step with logons and logouts: events of a participant with no FIX session are not
  // turned into FIX messages nobody would receive (its orders are still tracked for CumQty/AvgPx).
  // A FIX session of p logged on / off (drop_copy: a drop-copy session, which takes every participant's
  // ExecutionReports).
  void session_joined(ParticipantId p, bool drop_copy = false);
  // Queued to a session behind the reports staged before it: its sender then lets the client's held
  // Logout be answered (FixServer::on_logout_requested). Never sent.
  static constexpr const char* kLogoutMarker = "logout-marker";
  void logout_marker(uint64_t session);
  void session_left(ParticipantId p, bool drop_copy = false);

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
  void on_mass_cancel(const MassCancelDone& e) override;
  void on_route_accepted(const RouteAccepted& e) override;
  void on_route_done(const RouteDone& e) override;

  // A reject for a request that never reached the engine (also used by the QuickFIX threads for rate
  // limits: it reads no engine state).
  static std::shared_ptr<fixapi::FixMessage> refusal(const fixapi::FixMessage& request, RejectReason reason,
                                                     const std::string& text, const std::string& exec_id);

 private:
  struct OrderState {
    std::string symbol;
    std::string cl_ord_id;
    char side;
    char ord_type;
    Quantity qty;
    Quantity cum = 0;
    __int128 value = 0;  // sum of price x qty of the fills, for AvgPx (exact, no float)
    Price price;
    char tif = '0';      // TimeInForce(59) as FIX writes it
  };
  // A routed order as its FIX client sees it: one order (OrderID = the route id) whatever number of child
  // orders the router sends. It lives within the one command that places it (children are IOC).
  struct RouteState {
    std::string cl_ord_id;
    char tif = '3';
    int64_t scu = 0;            // asked
    int64_t cum_scu = 0;        // bought so far (devices x SCU per device)
    __int128 landed = 0;        // notional + transport fee of the fills, CNY (4 decimals)
    __int128 scu_hours = 0;     // SCU x hours of the fills
    std::vector<OrderId> children;
    // The latest fill's report, still staged (the whole routed order runs in one command): a routed
    // order that ends filled ends with it (ExecType F, OrdStatus 2), the totals added, not a report more.
    std::shared_ptr<fixapi::FixMessage> last_fill;
  };
  // What the FIX request being applied asked for: echoed in its rejects and reports.
  struct Context {
    std::string msg_type;
    std::string cl_ord_id, orig_cl_ord_id, symbol, mass_cancel_type;
    char side = '1';
  };
  bool has_sessions(ParticipantId p) const;
  OrderState* order(OrderId id);
  std::shared_ptr<fixapi::FixMessage> exec_report(OrderId id, const OrderState& o, char exec_type, char ord_status,
                                                  Timestamp ts);
  void to_participant(ParticipantId p, std::shared_ptr<fixapi::FixMessage> m);
  void to_session(uint64_t s, std::shared_ptr<fixapi::FixMessage> m);
  void refuse(uint64_t session, const fixapi::FixMessage& msg, RejectReason reason, const std::string& text);
  void routed_request(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg, Timestamp now,
                      std::vector<Command>& out);
  void routed_fill(OrderId route_id, const Trade& e);
  std::shared_ptr<fixapi::FixMessage> route_report(OrderId route_id, const RouteState& r, char exec_type,
                                                   char ord_status, Timestamp ts);
  void market_data_request(uint64_t session, const fixapi::FixMessage& msg);
  // OrderStatusRequest (H) and OrderMassStatusRequest (AF), answered from the exchange's order history:
  // fix_status.cpp.
  void order_status(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg);
  void mass_status(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg);
  // TradeCaptureReportRequest (AD): the session's participant's fills since a cursor, at most
  // kMaxTradeReports per request; CollateralInquiry (BB): its balances. fix_fills_balances.cpp.
  static constexpr int64_t kMaxTradeReports = 1000;
  void trade_capture_request(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg);
  std::shared_ptr<fixapi::FixMessage> trade_report(const persistence::Fill& f, const std::string& request_id) const;
  void collateral_inquiry(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg);
  // A NewOrderSingle with PossResend(97)=Y whose ClOrdID the participant has used: its status, true
  // (never a second order); false when the order is new.
  bool answered_as_resent(uint64_t session, ParticipantId p, const fixapi::FixMessage& msg);
  void security_list(uint64_t session, const fixapi::FixMessage& msg);
  std::string next_exec_id();

  server::ServerCore& core_;
  const MatchingEngine& engine_;
  Release release_;
  std::vector<FixItem> staged_;
  // This batch's FIX requests (session, the request's type, MsgSeqNum and ids): refused all at once when
  // the batch cannot be made durable.
  std::vector<std::pair<uint64_t, fixapi::FixMessage>> batch_requests_;
  uint64_t origin_ = 0;
  Context context_;
  std::unordered_map<OrderId, OrderState> orders_;
  std::unordered_map<OrderId, RouteState> routes_;      // routed orders in flight (route id ->)
  std::unordered_map<OrderId, OrderId> route_of_child_;  // their child orders -> route id
  std::unordered_map<ParticipantId, int> sessions_of_;  // logged-on FIX sessions per participant
  int drop_copies_ = 0;                                 // logged-on drop-copy sessions
  uint64_t exec_seq_ = 0;
  std::string exec_prefix_;
};

}  // namespace cpx::fix
