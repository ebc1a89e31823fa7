// The /metrics endpoint (metrics_server.h).
#include "daemon/metrics_server.h"

#include <httplib.h>

#include "daemon/log.h"

namespace nvgre::daemon {

MetricsServer::MetricsServer() = default;
MetricsServer::~MetricsServer() { Stop(); }

std::string MetricsServer::Bind(const MetricsSection::Listen& listen) {
  server_ = std::make_unique<httplib::Server>();
  const std::string host = virt::FormatIpAddress(listen.address);
  if (!server_->bind_to_port(host, listen.port)) {
    server_.reset();
    const std::string shown = virt::IsIpv6(listen.address) ? "[" + host + "]" : host;
    return "metrics.listen: cannot listen on " + shown + ":" + std::to_string(listen.port) +
           " (address in use, or not an address of this host)";
  }
  return "";
}

void MetricsServer::Start(std::function<std::string()> render) {
  if (!server_) return;
  server_->Get("/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
    res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void MetricsServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace nvgre::daemon
