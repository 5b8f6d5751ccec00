// Refusals of FIX requests that never reach the engine (docs/FIX.md §4.8, §5): each request type's own
// reply (ExecutionReport Rejected, OrderCancelReject, OrderMassCancelReport, MarketDataRequestReject,
// TradeCaptureReportRequestAck, CollateralInquiryAck), else a BusinessMessageReject; the CPX reason code in
// CpxReasonCode(20001) either way.
#include "fix/fix_sink.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

namespace {

// OrdRejReason(103) / CxlRejReason(102) for a CPX reason; the CPX code itself travels in tag 20001.
const char* ord_rej_reason(RejectReason r) {
  switch (r) {
    case RejectReason::UnknownInstrument:
    case RejectReason::BadSymbol: return "1";  // unknown symbol
    case RejectReason::InstrumentClosed:
    case RejectReason::InstrumentHalted:
    case RejectReason::InstrumentNotOpen: return "2";  // exchange closed
    case RejectReason::MaxOrderQty: return "3";        // order exceeds limit
    case RejectReason::DuplicateClOrdId: return "6";   // duplicate order
    case RejectReason::UnknownOrder: return "5";       // unknown order
    case RejectReason::InvalidPrice:
    case RejectReason::TickSize:
    case RejectReason::PriceBand: return "99";
    default: return "99";
  }
}
const char* cxl_rej_reason(RejectReason r) { return r == RejectReason::UnknownOrder ? "1" : "99"; }

}  // namespace

namespace {

// BusinessRejectReason(380) for a request CPX refuses that has no reply message of its own (FIX 4.4:
// 0 other, 2 unknown security, 3 unsupported message type, 4 application not available, 5 conditionally
// required field missing); the CPX reason is in CpxReasonCode(20001) either way.
const char* business_reject_reason(RejectReason reason) {
  switch (reason) {
    case RejectReason::UnknownInstrument: return "2";
    case RejectReason::Unavailable: return "4";
    case RejectReason::MalformedRequest: return "5";
    default: return "0";
  }
}

}  // namespace

// A TradeCaptureReportRequestAck (AQ): 749 TradeRequestResult, 750 TradeRequestStatus (0 accepted, 1
// completed, 2 rejected).
std::shared_ptr<FixMessage> trade_request_ack(const FixMessage& req, const char* result, const char* status) {
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "AQ";
  m->set(tag::TradeRequestID, req.value(tag::TradeRequestID));
  m->set(tag::TradeRequestType, req.get(tag::TradeRequestType) ? req.value(tag::TradeRequestType) : "0");
  m->set(tag::TradeRequestResult, result);
  m->set(tag::TradeRequestStatus, status);
  m->set(tag::Symbol, "NA");  // the Instrument component is required; the request covers every instrument
  return m;
}

// The BusinessMessageReject(j) fields that name what is refused: its type, its MsgSeqNum and (when it has
// one) its own id.
void business_reject(FixMessage& m, const FixMessage& req, const char* reason) {
  m.msg_type = "j";
  if (req.seq_num > 0) m.set(tag::RefSeqNum, std::to_string(req.seq_num));
  m.set(tag::RefMsgType, req.msg_type);
  for (int id : {tag::ClOrdID, tag::MassStatusReqID, tag::SecurityReqID, tag::MDReqID, tag::TradeRequestID, tag::CollInquiryID})
    if (const std::string* v = req.get(id); v && !v->empty()) {
      m.set(tag::BusinessRejectRefID, *v);
      break;
    }
  m.set(tag::BusinessRejectReason, reason);
}


std::shared_ptr<FixMessage> FixSink::refusal(const FixMessage& req, RejectReason reason, const std::string& text,
                                             const std::string& exec_id) {
  auto m = std::make_shared<FixMessage>();
  const std::string code(reason_code(reason));
  if (req.msg_type == "D") {
    m->msg_type = "8";
    m->set(tag::OrderID, "NONE");
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::ExecID, exec_id);
    m->set(tag::ExecType, "8");
    m->set(tag::OrdStatus, "8");
    m->set(tag::OrdRejReason, ord_rej_reason(reason));
    m->set(tag::Symbol, req.value(tag::Symbol));
    m->set(tag::Side, req.get(tag::Side) ? req.value(tag::Side) : "1");
    if (req.get(tag::OrderQty)) m->set(tag::OrderQty, req.value(tag::OrderQty));
    m->set(tag::LeavesQty, "0");
    m->set(tag::CumQty, "0");
    m->set(tag::AvgPx, "0");
  } else if (req.msg_type == "F" || req.msg_type == "G") {
    m->msg_type = "9";
    m->set(tag::OrderID, req.get(tag::OrderID) ? req.value(tag::OrderID) : "NONE");
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::OrigClOrdID, req.value(tag::OrigClOrdID));
    m->set(tag::OrdStatus, "8");
    m->set(tag::CxlRejResponseTo, req.msg_type == "F" ? "1" : "2");
    m->set(tag::CxlRejReason, cxl_rej_reason(reason));
  } else if (req.msg_type == "q") {
    m->msg_type = "r";
    m->set(tag::ClOrdID, req.value(tag::ClOrdID));
    m->set(tag::OrderID, "NONE");
    m->set(tag::MassCancelRequestType, req.get(tag::MassCancelRequestType) ? req.value(tag::MassCancelRequestType) : "7");
    m->set(tag::MassCancelResponse, "0");
    // 532 is a CHAR in FIX 4.4 (0-6): "1" unknown security, else "0"; the CPX reason is in 20001.
    m->set(tag::MassCancelRejectReason, reason == RejectReason::UnknownInstrument ? "1" : "0");
  } else if (req.msg_type == "V") {
    m->msg_type = "Y";
    m->set(tag::MDReqID, req.value(tag::MDReqID));
    m->set(tag::MDReqRejReason, reason == RejectReason::UnknownInstrument ? "0" : "5");
  } else if (req.msg_type == "AD") {
    // TradeCaptureReportRequestAck, rejected: 749 1 unknown instrument, else 99 other.
    m = trade_request_ack(req, reason == RejectReason::UnknownInstrument ? "1" : "99", "2");
  } else if (req.msg_type == "BB") {
    // CollateralInquiryAck: rejected (945=4), 946 99 other.
    m->msg_type = "BG";
    m->set(tag::CollInquiryID, req.value(tag::CollInquiryID).empty() ? std::string("NONE") : req.value(tag::CollInquiryID));
    m->set(tag::CollInquiryStatus, "4");
    m->set(tag::CollInquiryResult, "99");
  } else {
    business_reject(*m, req, business_reject_reason(reason));
  }
  m->set(tag::Text, text);
  m->set(tag::CpxReasonCode, code);
  return m;
}

void FixSink::refuse(uint64_t session, const FixMessage& msg, RejectReason reason, const std::string& text) {
  core_.metrics().reject(reason);
  to_session(session, refusal(msg, reason, text, next_exec_id()));
}

}  // namespace cpx::fix
