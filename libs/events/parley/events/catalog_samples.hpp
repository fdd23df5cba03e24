#pragma once
// One sample of each catalog type, every field set (optional ones too), with values the
// AsyncAPI schemas accept: for the catalog's tests and parley-events-catalog. Not linked into
// the services.

#include <boost/mp11/utility.hpp>
#include <tuple>

#include "parley/events/catalog.hpp"

namespace parley::events {

using Samples = boost::mp11::mp_rename<AllEvents, std::tuple>;

// Every type of AllEvents, in order (a type without a sample does not compile).
const Samples& samples();

template <EventType E>
const E& sample() {
  return std::get<E>(samples());
}

}  // namespace parley::events
