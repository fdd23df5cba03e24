#pragma once
// The contacts service's HTTP handlers: contact requests, contacts and blocks, and the internal
// read of a user's relations. Each parses and validates its request, calls the domain rules and
// the store, and answers.

#include <functional>
#include <string>
#include <vector>

#include "domain/rules.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "store/contacts_store.hpp"

namespace parley::contacts {

class ContactsHandlers {
 public:
  // REQUIRES: ctx, db and outbox outlive the handlers.
  ContactsHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox);
  ContactsHandlers(const ContactsHandlers&) = delete;
  ContactsHandlers& operator=(const ContactsHandlers&) = delete;

  // Under /api/v1/:
  async::Task<http::Response> send_request(http::Request& request);     // POST contacts/requests
  async::Task<http::Response> list_requests(http::Request& request);    // GET contacts/requests
  async::Task<http::Response> accept_request(http::Request& request);   // POST …/{id}/accept
  async::Task<http::Response> decline_request(http::Request& request);  // POST …/{id}/decline
  async::Task<http::Response> cancel_request(http::Request& request);   // DELETE …/requests/{id}
  async::Task<http::Response> list_contacts(http::Request& request);    // GET contacts
  async::Task<http::Response> remove_contact(http::Request& request);   // DELETE contacts/{user_id}
  async::Task<http::Response> list_blocks(http::Request& request);      // GET blocks
  async::Task<http::Response> block(http::Request& request);            // PUT blocks/{user_id}
  async::Task<http::Response> unblock(http::Request& request);          // DELETE blocks/{user_id}
  // GET /internal/v1/users/{user_id}/contacts (service credential only): every list of the user,
  // a page of each at a time.
  async::Task<http::Response> internal_relations(http::Request& request);

 private:
  // Sets the status of the request {id} the caller may act on so (check_request_action); 404 when
  // it is no longer pending.
  async::Task<http::Response> close_request(http::Request& request, RequestAction action,
                                            std::string status);
  // A page of the caller's contacts or blocks (store::list_contacts or store::list_blocks).
  using ListEntries = std::vector<Entry> (*)(storage::Tx& tx, const std::string& user,
                                             const std::string& after_username, int limit);
  async::Task<http::Response> list_entries(http::Request& request, ListEntries list);
  // Undoes, in a write, a relation of the caller with the path's {user_id} (a contact, a block):
  // undo returns false when there is none (then 404 not_found), else the events it added are
  // published and the answer is 204.
  using Undo =
      std::function<bool(storage::Tx& tx, const std::string& me, const std::string& other)>;
  async::Task<http::Response> undo_relation(http::Request& request, std::string not_found,
                                            Undo undo);

  service::Context& ctx_;
  storage::Database& db_;
  events::Outbox& outbox_;
};

}  // namespace parley::contacts
