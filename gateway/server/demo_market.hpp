#pragma once
// cpxd --demo: a realistic market seeded on a fresh journal (docs/PRODUCT.md §2): an operator, suppliers of each
// kind (cloud vendors, state-owned data-centre operators) with registered capacity and a revenue-sharing
// agreement, carriers, buyers with cash, instruments for the coming days and resting offers; and a user
// per participant with a known demo password and API key, printed at start.
#include <string>
#include <vector>

#include "cpx/time.hpp"

namespace cpx::server {

struct DemoUser {
  std::string username;     // = participant code in lower case
  std::string participant;
  std::string password;     // demo only: printed at start
  std::string api_key;
  std::string api_secret;
};

// JSON requests (docs/API.md) for a market whose first delivery day is the CST day after `now`; with
// `auction`, also the next day-ahead auction with offers and bids (a server that runs the auction
// schedule; one that does not leaves auctions to its operator).
std::vector<std::string> demo_requests(Timestamp now, bool auction = true);
std::vector<DemoUser> demo_users();
// The demo's instruments that trade tomorrow (for the README and tests).
std::vector<std::string> demo_symbols(Timestamp now);
// The first delivery day the demo lists (CST midnight): tomorrow, or the day after when tomorrow's books
// would close for trading (gate closure: an hour before delivery) within two hours of `now`. (Started
// between 23:00 and 24:00 CST, the demo listed books already closed and could not seed itself.)
Timestamp demo_first_day(Timestamp now);
// The delivery day of the demo's day-ahead auction: tomorrow while today's gate (12:00 CST) is ahead,
// else the day after.
Timestamp demo_auction_day(Timestamp now);

}  // namespace cpx::server
