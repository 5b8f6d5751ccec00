#pragma once
// Reference data from config/ (regions, chip classes) turned into admin requests of the public JSON
// schema, so configuration goes through the same path, checks and journal as any operator command.
#include <string>
#include <vector>

#include "cpx/result.hpp"

namespace cpx::api {

// The reference data (regions, chip classes, network, demo day) and FIX dictionary that came with the
// program: <the executable's directory>/../share/cpx/config. `cmake --install` puts them there, and every
// build tree has the same path as a link to the source's config/. Failing that (a program copied
// elsewhere), ./config. Used when the configuration names no reference_dir or fix_dictionary.
std::string default_config_dir();

// One JSON request line per region and chip class: {"cmd":"add_region",...}, {"cmd":"add_chip_class",...}.
Result<std::vector<std::string>> load_reference_requests(const std::string& config_dir);

// config/network.json: the carriers (add_participant, kind and role carrier), then one add_link per link.
// After load_reference_requests (links name regions).
Result<std::vector<std::string>> load_network_requests(const std::string& config_dir);

}  // namespace cpx::api
