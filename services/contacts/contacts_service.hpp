#pragma once
// Private to the contacts service: its state and handlers.

#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "store/contacts_store.hpp"

namespace parley::contacts {

class ContactsService final : public service::Service {
 public:
  explicit ContactsService(service::Context& ctx);

  // service::Service
  std::string_view name() const override { return "contacts"; }
  void add_routes(http::Router& router) override;
  void start() override { outbox_.start(); }
  void stop() override { outbox_.stop(); }

 private:
  // handlers/contacts_handlers.cpp
  async::Task<http::Response> send_request(http::Request& request);
  async::Task<http::Response> list_requests(http::Request& request);
  async::Task<http::Response> accept_request(http::Request& request);
  async::Task<http::Response> decline_request(http::Request& request);
  async::Task<http::Response> cancel_request(http::Request& request);
  async::Task<http::Response> list_contacts(http::Request& request);
  async::Task<http::Response> remove_contact(http::Request& request);
  async::Task<http::Response> list_blocks(http::Request& request);
  async::Task<http::Response> block(http::Request& request);
  async::Task<http::Response> unblock(http::Request& request);
  // internal (service credential only)
  async::Task<http::Response> internal_relations(http::Request& request);

  service::Context& ctx_;
  std::unique_ptr<storage::Database> db_;
  events::Outbox outbox_;
};

}  // namespace parley::contacts
