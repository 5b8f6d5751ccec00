// The gateway's fan-out (gateway/web/fan_out.hpp): private events reach the requesting connection and the
// participant's feeds only, channel lines their subscribers only, and a removed connection nothing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "web/fan_out.hpp"

namespace cpx::web {
namespace {

struct FakePeer : Peer {
  std::vector<std::string> got;
  int done = 0, status = 0;
  void deliver(const Line& line) override { got.push_back(*line); }
  void request_done() override { ++done; }
  void refused(int s) override { status = s; }
};

std::shared_ptr<FakePeer> add(FanOut& f, uint64_t id) {
  auto p = std::make_shared<FakePeer>();
  p->id = id;
  f.add(p);
  return p;
}

WebItem item(WebItem::Kind kind, uint64_t session, ParticipantId participant, std::string channel, std::string text) {
  WebItem i;
  i.kind = kind;
  i.session = session;
  i.participant = participant;
  i.channel = std::move(channel);
  i.text = std::move(text);
  return i;
}

TEST(FanOut, PrivateEventsGoToTheRequesterAndTheParticipantsFeedsOnly) {
  FanOut f;
  auto a = add(f, 1), b = add(f, 2), c = add(f, 3), other = add(f, 4);
  for (uint64_t id : {1, 2, 3}) {
    auto in = item(WebItem::Kind::LoggedIn, id, 7, {}, {});
    f.route(in);
  }
  auto in = item(WebItem::Kind::LoggedIn, 4, 8, {}, {});
  f.route(in);
  auto sub = item(WebItem::Kind::Subscribed, 2, kNoParticipant, "orders", "{\"ev\":\"subscribed\"}");
  f.route(sub);
  auto sub_exec = item(WebItem::Kind::Subscribed, 3, kNoParticipant, "executions", "{\"ev\":\"subscribed\"}");
  f.route(sub_exec);

  auto ack = item(WebItem::Kind::Participant, 1, 7, {}, "ack");
  f.route(ack);
  auto fill = item(WebItem::Kind::Participant, 1, 7, {}, "fill");
  fill.is_trade = true;
  f.route(fill);
  EXPECT_EQ(a->got, (std::vector<std::string>{"ack", "fill"}));
  EXPECT_EQ(b->got, (std::vector<std::string>{"{\"ev\":\"subscribed\"}", "ack", "fill"}));
  EXPECT_EQ(c->got, (std::vector<std::string>{"{\"ev\":\"subscribed\"}", "fill"}));
  EXPECT_TRUE(other->got.empty());
}

TEST(FanOut, ChannelsReachSubscribersUntilTheyLeave) {
  FanOut f;
  auto a = add(f, 1), b = add(f, 2);
  auto sub = item(WebItem::Kind::Subscribed, 1, kNoParticipant, "trades", "snap");
  f.route(sub);
  auto t1 = item(WebItem::Kind::Channel, 0, kNoParticipant, "trades", "t1");
  f.route(t1);
  f.unsubscribe(1, "trades");
  auto t2 = item(WebItem::Kind::Channel, 0, kNoParticipant, "trades", "t2");
  f.route(t2);
  EXPECT_EQ(a->got, (std::vector<std::string>{"snap", "t1"}));
  EXPECT_TRUE(b->got.empty());
}

TEST(FanOut, RepliesRefusalsAndRemoval) {
  FanOut f;
  auto a = add(f, 1);
  auto r = item(WebItem::Kind::Session, 1, kNoParticipant, {}, "no");
  r.http_status = 404;
  f.route(r);
  auto end = item(WebItem::Kind::EndRequest, 1, kNoParticipant, {}, {});
  f.route(end);
  EXPECT_EQ(a->status, 404);
  EXPECT_EQ(a->done, 1);
  auto in = item(WebItem::Kind::LoggedIn, 1, 7, {}, "welcome");
  f.route(in);
  f.remove(1);
  EXPECT_EQ(f.peer(1), nullptr);
  auto late = item(WebItem::Kind::Participant, 1, 7, {}, "late");
  f.route(late);
  EXPECT_EQ(a->got, (std::vector<std::string>{"no", "welcome"}));
  EXPECT_TRUE(f.all().empty());
}

// A requester that got its own copy of an event (with its request's id) does not get the feed's copy too.
TEST(FanOut, ARequesterWithItsOwnCopyIsSkipped) {
  FanOut f;
  auto requester = add(f, 1), feed = add(f, 2);
  for (uint64_t id : {1, 2}) {
    auto in = item(WebItem::Kind::LoggedIn, id, 7, {}, {});
    f.route(in);
    auto sub = item(WebItem::Kind::Subscribed, id, kNoParticipant, "orders", "s");
    f.route(sub);
  }
  auto own = item(WebItem::Kind::Session, 1, kNoParticipant, {}, "ack+id");
  f.route(own);
  auto ack = item(WebItem::Kind::Participant, 1, 7, {}, "ack");
  ack.skip_origin = true;
  f.route(ack);
  EXPECT_EQ(requester->got, (std::vector<std::string>{"s", "ack+id"}));
  EXPECT_EQ(feed->got, (std::vector<std::string>{"s", "ack"}));
}

// The application heartbeat: a session subscribed to something that heard nothing since the last tick
// gets one, naming each public channel it has with that channel's last number; a session that heard
// something, or has no subscription, gets none.
TEST(FanOut, QuietSubscribedSessionsGetAHeartbeatWithTheirChannelsLastNumbers) {
  FanOut f;
  auto book = add(f, 1), feed = add(f, 2), busy = add(f, 3), idle = add(f, 4);
  for (uint64_t id : {1, 2, 3}) {
    auto in = item(WebItem::Kind::LoggedIn, id, 7, {}, {});
    f.route(in);
  }
  for (auto [id, channel] : {std::pair<uint64_t, const char*>{1, "book.X"}, {1, "trades"}, {2, "orders"}, {3, "book.Y"}}) {
    auto sub = item(WebItem::Kind::Subscribed, id, kNoParticipant, channel, "s");
    f.route(sub);
  }
  for (uint64_t seq : {1, 2}) {
    auto change = item(WebItem::Kind::Channel, 0, kNoParticipant, "book.X", "x");
    change.seq = seq;
    f.route(change);
  }
  f.heartbeat("T0");  // everyone subscribed to book.X heard something: only the quiet ones get a beat
  EXPECT_EQ(book->got.back(), "x");
  EXPECT_EQ(feed->got.back(), "{\"ev\":\"heartbeat\",\"ts\":\"T0\",\"seq\":{}}");
  EXPECT_EQ(busy->got.back(), "{\"ev\":\"heartbeat\",\"ts\":\"T0\",\"seq\":{\"book.Y\":0}}");
  EXPECT_TRUE(idle->got.empty()) << "no subscription, no heartbeat";
  auto y = item(WebItem::Kind::Channel, 0, kNoParticipant, "book.Y", "y");
  y.seq = 1;
  f.route(y);
  f.heartbeat("T1");
  const std::string beat = book->got.back();
  EXPECT_TRUE(beat == "{\"ev\":\"heartbeat\",\"ts\":\"T1\",\"seq\":{\"book.X\":2,\"trades\":0}}" ||
              beat == "{\"ev\":\"heartbeat\",\"ts\":\"T1\",\"seq\":{\"trades\":0,\"book.X\":2}}")
      << beat;
  EXPECT_EQ(busy->got.back(), "y") << "it heard book.Y since the last tick";
  f.heartbeat("T2");
  EXPECT_EQ(busy->got.back(), "{\"ev\":\"heartbeat\",\"ts\":\"T2\",\"seq\":{\"book.Y\":1}}");
  EXPECT_TRUE(idle->got.empty());
}

}  // namespace
}  // namespace cpx::web
