// new-order-initiator: a small FIX 4.4 initiator built on QuickFIX that sends N
// limit NewOrderSingle messages and prints every ExecutionReport it receives
// as a JSON line. It exists to prove the test harness against QuickFIX's own
// `executor` example (two independent QuickFIX processes talking), and to
// exercise logon / sequence-number continuity across restarts.
//
// usage: new-order-initiator SETTINGS [--orders N] [--symbol S] [--side 1|2]
//          [--qty Q] [--price P] [--clordid-prefix X] [--timeout-ms T]
//          [--batches K]   (K batches of N orders; batch k>1 waits for logon #k)
//
// stdout: JSON lines, see qf-common.h; the last one is
//   {"summary":{"sent":N,"executionReports":n,"fills":f,"rejects":r,...}}
// exit: 0 all orders filled and logged out; 1 no logon / config error;
//       2 usage; 3 logged on but not every order was filled in time.
#include "qf-common.h"

#include "quickfix/FileLog.h"
#include "quickfix/FileStore.h"
#include "quickfix/SessionSettings.h"
#include "quickfix/SocketInitiator.h"
#include "quickfix/fix44/NewOrderSingle.h"

#include <memory>
#include <set>

namespace {

class OrderApp : public qfjson::RecordingApplication {
 public:
  explicit OrderApp(qfjson::Printer& out) : RecordingApplication(out) {}

  int filled() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(filledClOrdIDs_.size());
  }
  int executionReports() {
    std::lock_guard<std::mutex> lock(mutex_);
    return executionReports_;
  }
  bool waitFilled(std::chrono::steady_clock::time_point deadline, int n) {
    return waitUntil(deadline, [&] { return static_cast<int>(filledClOrdIDs_.size()) >= n; });
  }

 protected:
  void onAppMessage(const FIX::Message& m, const FIX::SessionID&) override {
    if (qfjson::headerField(m, 35) != "8") return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++executionReports_;
      // A set, not a counter: a resent duplicate (PossDupFlag) must not count twice.
      if (m.isSetField(39) && m.getField(39) == "2" && m.isSetField(11)) {
        filledClOrdIDs_.insert(m.getField(11));
      }
    }
    cv_.notify_all();
  }

 private:
  int executionReports_ = 0;
  std::set<std::string> filledClOrdIDs_;
};

void usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " SETTINGS [--orders N] [--symbol S] [--side 1|2] [--qty Q] [--price P]"
               " [--clordid-prefix X] [--timeout-ms T] [--batches K]\n";
}

}  // namespace

int main(int argc, char** argv) {
  qfjson::Args args(argc, argv);
  if (args.has("help") || args.positional.size() != 1) {
    usage(argv[0]);
    return args.has("help") ? 0 : 2;
  }
  const long orders = args.getLong("orders", 1);
  const std::string symbol = args.get("symbol", "TEST");
  const std::string side = args.get("side", "1");
  const std::string qty = args.get("qty", "100");
  const std::string price = args.get("price", "10.5");
  const std::string prefix = args.get("clordid-prefix", "ORD");
  const long batches = args.getLong("batches", 1);
  const long timeoutMs = args.getLong("timeout-ms", 10000);

  qfjson::Printer out;
  OrderApp app(out);
  int rc = 0;
  try {
    FIX::SessionSettings settings(args.positional[0]);
    qfjson::InitiatorParts parts(app, settings);
    std::unique_ptr<FIX::SocketInitiator>& initiator = parts.initiator;
    initiator->start();

    const auto deadline = qfjson::afterMs(timeoutMs);
    if (!app.waitLoggedOn(deadline)) {
      out.line("{\"error\":\"no logon before timeout\"}");
      initiator->stop(true);
      out.line("{\"summary\":{\"sent\":0,\"executionReports\":0,\"fills\":0,\"rejects\":" +
               std::to_string(app.rejectsIn() + app.rejectsOut()) + ",\"loggedOn\":false}}");
      return 1;
    }
    const FIX::SessionID id = app.sessionID();

    // With --batches K each batch after the first waits for a fresh logon, so a
    // test can restart the acceptor between batches and watch this session
    // reconnect (ReconnectInterval) and carry on with its sequence numbers.
    long sent = 0;
    bool allFilled = true;
    for (long batch = 1; batch <= batches && allFilled; ++batch) {
      if (batch > 1 && !app.waitUntil(deadline, [&] { return app.logonsLocked() >= batch; })) {
        out.line("{\"error\":\"no new logon for batch " + std::to_string(batch) + "\"}");
        allFilled = false;
        break;
      }
      for (long i = 1; i <= orders; ++i) {
        const std::string clOrdID =
            prefix + (batches > 1 ? "-" + std::to_string(batch) : std::string()) + "-" + std::to_string(i);
        FIX44::NewOrderSingle order(FIX::ClOrdID(clOrdID), FIX::Side(side[0]), FIX::TransactTime(),
                                    FIX::OrdType(FIX::OrdType_LIMIT));
        order.set(FIX::Symbol(symbol));
        order.setField(FIX::OrderQty(std::strtod(qty.c_str(), 0)));
        order.set(FIX::Price(std::strtod(price.c_str(), 0)));
        order.set(FIX::HandlInst('1'));
        if (FIX::Session::sendToTarget(order, id)) ++sent;
      }
      allFilled = app.waitFilled(deadline, static_cast<int>(orders * batch));
      if (allFilled) {
        out.line("{\"event\":\"batch-filled\",\"batch\":" + std::to_string(batch) + "}");
      }
    }

    FIX::Session* session = FIX::Session::lookupSession(id);
    if (session && session->isLoggedOn()) {
      session->logout("new-order-initiator done");
      app.waitLoggedOut(qfjson::afterMs(5000));
    }
    initiator->stop();

    std::ostringstream summary;
    summary << "{\"summary\":{\"sent\":" << sent << ",\"executionReports\":" << app.executionReports()
            << ",\"fills\":" << app.filled() << ",\"rejects\":" << app.rejectsIn() + app.rejectsOut()
            << ",\"rejectsIn\":" << app.rejectsIn() << ",\"rejectsOut\":" << app.rejectsOut()
            << ",\"received\":" << app.countsJson() << ",\"loggedOn\":true}}";
    out.line(summary.str());
    rc = allFilled ? 0 : 3;
  } catch (std::exception& e) {
    out.line("{\"error\":" + qfjson::quote(e.what()) + "}");
    return 1;
  }
  return rc;
}
