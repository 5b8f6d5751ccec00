#include "web/fan_out.hpp"

#include "json/event_codec.hpp"

namespace cpx::web {

Peer* FanOut::peer(uint64_t id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

void FanOut::remove(uint64_t id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  if (p.participant != kNoParticipant) {
    auto s = by_participant_.find(p.participant);
    if (s != by_participant_.end()) {
      s->second.erase(id);
      if (s->second.empty()) by_participant_.erase(s);
    }
  }
  for (auto& [name, ids] : channels_) ids.erase(id);
  peers_.erase(it);
}

void FanOut::unsubscribe(uint64_t id, const std::string& channel) {
  if (auto it = channels_.find(channel); it != channels_.end()) it->second.erase(id);
}

std::vector<std::shared_ptr<Peer>> FanOut::all() const {
  std::vector<std::shared_ptr<Peer>> out;
  out.reserve(peers_.size());
  for (const auto& [id, p] : peers_) out.push_back(p);
  return out;
}

void FanOut::clear() {
  peers_.clear();
  by_participant_.clear();
  channels_.clear();
}

void FanOut::heartbeat(const std::string& ts_text) {
  // Each quiet session's channels with their last numbers ("book.X":12,...); the private feeds have none.
  std::unordered_map<uint64_t, std::string> quiet;
  for (const auto& [id, p] : peers_) {
    if (!p->heard && (p->orders_feed || p->executions_feed)) quiet[id];
  }
  for (const auto& [channel, ids] : channels_) {
    auto seq = last_seq_.find(channel);
    for (uint64_t id : ids) {
      auto p = peers_.find(id);
      if (p == peers_.end() || p->second->heard) continue;
      std::string& entry = quiet[id];
      if (!entry.empty()) entry += ",";
      api::append_json_string(entry, channel);
      entry += ":" + std::to_string(seq == last_seq_.end() ? 0 : seq->second);
    }
  }
  for (auto& [id, p] : peers_) p->heard = false;
  for (auto& [id, channels] : quiet) {
    if (Peer* p = peer(id)) {
      p->deliver(std::make_shared<const std::string>("{\"ev\":\"heartbeat\",\"ts\":\"" + ts_text + "\",\"seq\":{" +
                                                     channels + "}}"));
    }
  }
}

void FanOut::route(WebItem& item) {
  switch (item.kind) {
    case WebItem::Kind::Participant: {
      auto it = by_participant_.find(item.participant);
      if (it == by_participant_.end()) return;
      Line line;
      for (uint64_t id : it->second) {
        Peer* p = peer(id);
        if (!p) continue;
        if (id == item.session && item.skip_origin) continue;  // it has its own copy, with its request's id
        if (id == item.session || p->orders_feed || (item.is_trade && p->executions_feed)) {
          if (!line) line = std::make_shared<const std::string>(std::move(item.text));
          p->heard = true;
          p->deliver(line);
        }
      }
      return;
    }
    case WebItem::Kind::Channel: {
      last_seq_[item.channel] = item.seq;
      auto it = channels_.find(item.channel);
      if (it == channels_.end() || it->second.empty()) return;
      Line line = std::make_shared<const std::string>(std::move(item.text));
      for (uint64_t id : it->second) {
        if (Peer* p = peer(id)) {
          p->heard = true;
          p->deliver(line);
        }
      }
      return;
    }
    case WebItem::Kind::Session:
    case WebItem::Kind::Failed:
      if (Peer* p = peer(item.session)) {
        if (item.http_status != 0) p->refused(item.http_status);
        p->deliver(std::make_shared<const std::string>(std::move(item.text)));
      }
      return;
    case WebItem::Kind::Subscribed:
      if (Peer* p = peer(item.session)) {
        if (item.channel == "orders") {
          p->orders_feed = true;
        } else if (item.channel == "executions") {
          p->executions_feed = true;
        } else {
          channels_[item.channel].insert(item.session);
        }
        p->deliver(std::make_shared<const std::string>(std::move(item.text)));
      }
      return;
    case WebItem::Kind::EndRequest:
      if (Peer* p = peer(item.session)) p->request_done();
      return;
    case WebItem::Kind::LoggedIn:
      if (Peer* p = peer(item.session)) {
        if (p->participant != kNoParticipant) by_participant_[p->participant].erase(p->id);
        p->participant = item.participant;
        if (item.participant != kNoParticipant) by_participant_[item.participant].insert(p->id);
        p->logged_in(item.participant);
        if (!item.text.empty()) p->deliver(std::make_shared<const std::string>(std::move(item.text)));
      }
      return;
  }
}

}  // namespace cpx::web
