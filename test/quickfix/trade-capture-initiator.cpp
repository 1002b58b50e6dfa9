// trade-capture-initiator: a FIX 4.4 initiator built on QuickFIX, with the
// data dictionary validation of an independent engine, used to check our
// reporting acceptor. It logs on, sends one TradeCaptureReportRequest (35=AD)
// and reports everything it receives as JSON lines, so a vitest test can
// assert e.g. "AQ, n x AE, AQ and zero Rejects".
//
// usage: trade-capture-initiator SETTINGS [--mode snapshot|subscribe]
//          [--expect-ae N] [--wait-ms T] [--logon-timeout-ms T]
//          [--request-id ID] [--request-type N] [--unsubscribe]
//          [--field TAG=VALUE]... [--group COUNTTAG:TAG=V,TAG=V]...
//
// SETTINGS is a QuickFIX initiator settings file (host, port, CompIDs,
// UseDataDictionary=Y / DataDictionary=FIX44.xml, FileStorePath, FileLogPath).
//  --mode snapshot   263=0: done at the closing AQ (TradeRequestStatus 750=1
//                    completed or 2 rejected, or the second AQ when 750 is
//                    absent), and once --expect-ae AEs arrived if given.
//  --mode subscribe  263=1: done when --expect-ae AEs arrived; without it,
//                    listens for the whole --wait-ms. --unsubscribe then
//                    sends 263=2 for the same TradeRequestID before logout.
//  --field / --group add request criteria, e.g. --field 55=POWER or
//                    --group 580:75=20260101 (one TrdCapDtGrp entry).
//
// stdout: one JSON line per received message except heartbeats/test
// requests ({"dir":"in","msgType":"AE","seq":5,"fields":{"571":...},
// "groups":{...}}), one per Reject/BusinessMessageReject this side sent
// ("dir":"out" — that is how QuickFIX answers a message failing validation),
// logon/logout events, and finally
//   {"summary":{"AE":n,"AQ":m,"rejects":k,"rejectsIn":..,"rejectsOut":..,
//               "received":{type:count},"complete":bool,"loggedOn":bool}}
// exit: 0 complete and logged out; 1 no logon / config error; 2 usage;
//       3 not complete within --wait-ms; 4 request rejected (AQ 750=2 or
//       749 != 0, or a BusinessMessageReject).
#include "qf-common.h"

#include "quickfix/FileLog.h"
#include "quickfix/FileStore.h"
#include "quickfix/Group.h"
#include "quickfix/SessionSettings.h"
#include "quickfix/SocketInitiator.h"

#include <memory>
#include <set>
#include <unistd.h>

namespace {

enum class Outcome { Pending, Complete, Rejected };

class CaptureApp : public qfjson::RecordingApplication {
 public:
  CaptureApp(qfjson::Printer& out, bool snapshot, long expectAe)
      : RecordingApplication(out), snapshot_(snapshot), expectAe_(expectAe) {}

  // Returns once the request is answered in full / rejected, or at the deadline
  // (then Pending, which for subscribe without --expect-ae means success).
  Outcome wait(std::chrono::steady_clock::time_point deadline) {
    Outcome result = Outcome::Pending;
    waitUntil(deadline, [&] {
      result = outcomeLocked();
      return result != Outcome::Pending;
    });
    return result;
  }
  long ae() { std::lock_guard<std::mutex> l(mutex_); return ae_; }
  long aq() { std::lock_guard<std::mutex> l(mutex_); return aq_; }

 protected:
  void onAppMessage(const FIX::Message& m, const FIX::SessionID&) override {
    const std::string type = qfjson::headerField(m, 35);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (type == "AE") {
        ++ae_;
      } else if (type == "AQ") {
        ++aq_;
        const std::string status = m.isSetField(750) ? m.getField(750) : "";
        const std::string result = m.isSetField(749) ? m.getField(749) : "0";
        if (status == "2" || result != "0") rejected_ = true;
        if (status == "1" || (status.empty() && aq_ >= 2)) closingAq_ = true;
      } else if (type == "j") {
        rejected_ = true;
      }
    }
    cv_.notify_all();
  }

 private:
  Outcome outcomeLocked() const {
    if (rejected_) return Outcome::Rejected;
    const bool enoughAe = expectAe_ < 0 || ae_ >= expectAe_;
    if (snapshot_) return closingAq_ && enoughAe ? Outcome::Complete : Outcome::Pending;
    return expectAe_ >= 0 && enoughAe ? Outcome::Complete : Outcome::Pending;
  }

  const bool snapshot_;
  const long expectAe_;
  long ae_ = 0;
  long aq_ = 0;
  bool closingAq_ = false;
  bool rejected_ = false;
};

void usage(std::ostream& os, const char* argv0) {
  os << "usage: " << argv0
     << " SETTINGS [--mode snapshot|subscribe] [--expect-ae N] [--wait-ms T]"
        " [--logon-timeout-ms T] [--request-id ID] [--request-type N] [--unsubscribe]"
        " [--field TAG=VALUE]... [--group COUNTTAG:TAG=V,TAG=V]...\n";
}

bool splitTagValue(const std::string& s, int& tag, std::string& value) {
  const std::string::size_type eq = s.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  tag = std::atoi(s.substr(0, eq).c_str());
  value = s.substr(eq + 1);
  return tag > 0;
}

FIX::Message buildRequest(const std::string& beginString, const std::string& requestId,
                          const std::string& requestType, char subscription,
                          const std::vector<std::string>& fields,
                          const std::vector<std::string>& groups) {
  FIX::Message m;
  m.getHeader().setField(FIX::BeginString(beginString));
  m.getHeader().setField(FIX::MsgType("AD"));
  m.setField(568, requestId);
  m.setField(569, requestType);
  m.setField(263, std::string(1, subscription));
  for (const std::string& f : fields) {
    int tag = 0;
    std::string value;
    if (!splitTagValue(f, tag, value)) throw FIX::ConfigError("bad --field " + f);
    m.setField(tag, value);
  }
  for (const std::string& g : groups) {
    const std::string::size_type colon = g.find(':');
    if (colon == std::string::npos) throw FIX::ConfigError("bad --group " + g);
    const int countTag = std::atoi(g.substr(0, colon).c_str());
    std::vector<std::pair<int, std::string> > entries;
    std::string rest = g.substr(colon + 1);
    while (!rest.empty()) {
      const std::string::size_type comma = rest.find(',');
      const std::string item = rest.substr(0, comma);
      int tag = 0;
      std::string value;
      if (!splitTagValue(item, tag, value)) throw FIX::ConfigError("bad --group entry " + item);
      entries.push_back(std::make_pair(tag, value));
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    if (countTag <= 0 || entries.empty()) throw FIX::ConfigError("bad --group " + g);
    // The first field given is the group's delimiter, as FIX requires.
    FIX::Group group(countTag, entries.front().first);
    for (const auto& e : entries) group.setField(e.first, e.second);
    m.addGroup(group);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  qfjson::Args args(argc, argv);
  if (args.has("help")) {
    usage(std::cout, argv[0]);
    return 0;
  }
  const std::string mode = args.get("mode", "snapshot");
  if (args.positional.size() != 1 || (mode != "snapshot" && mode != "subscribe")) {
    usage(std::cerr, argv[0]);
    return 2;
  }
  const bool snapshot = mode == "snapshot";
  const long expectAe = args.getLong("expect-ae", -1);
  const long waitMs = args.getLong("wait-ms", 10000);
  const long logonTimeoutMs = args.getLong("logon-timeout-ms", 10000);
  const std::string requestId = args.get("request-id", "TCR-" + std::to_string(getpid()));
  const std::string requestType = args.get("request-type", "0");

  qfjson::Printer out;
  CaptureApp app(out, snapshot, expectAe);
  try {
    FIX::SessionSettings settings(args.positional[0]);
    qfjson::InitiatorParts parts(app, settings);
    std::unique_ptr<FIX::SocketInitiator>& initiator = parts.initiator;

    // Build the request before connecting so a bad --field fails fast.
    const std::set<FIX::SessionID> sessions = settings.getSessions();
    if (sessions.size() != 1) throw FIX::ConfigError("settings must define exactly one session");
    const FIX::SessionID id = *sessions.begin();
    FIX::Message request = buildRequest(id.getBeginString().getString(), requestId, requestType,
                                        snapshot ? '0' : '1', args.all("field"), args.all("group"));

    initiator->start();
    if (!app.waitLoggedOn(qfjson::afterMs(logonTimeoutMs))) {
      out.line("{\"error\":\"no logon before timeout\"}");
      initiator->stop(true);
      out.line("{\"summary\":{\"AE\":0,\"AQ\":0,\"rejects\":" +
               std::to_string(app.rejectsIn() + app.rejectsOut()) +
               ",\"complete\":false,\"loggedOn\":false}}");
      return 1;
    }

    FIX::Session::sendToTarget(request, id);
    Outcome outcome = app.wait(qfjson::afterMs(waitMs));
    bool complete = outcome == Outcome::Complete || (!snapshot && expectAe < 0 && outcome == Outcome::Pending);

    if (!snapshot && args.has("unsubscribe")) {
      FIX::Message stop = buildRequest(id.getBeginString().getString(), requestId, requestType, '2',
                                       args.all("field"), args.all("group"));
      FIX::Session::sendToTarget(stop, id);
    }

    FIX::Session* session = FIX::Session::lookupSession(id);
    if (session && session->isLoggedOn()) {
      session->logout("trade-capture-initiator done");
      app.waitLoggedOut(qfjson::afterMs(5000));
    }
    initiator->stop();

    std::ostringstream summary;
    summary << "{\"summary\":{\"AE\":" << app.ae() << ",\"AQ\":" << app.aq()
            << ",\"rejects\":" << app.rejectsIn() + app.rejectsOut()
            << ",\"rejectsIn\":" << app.rejectsIn() << ",\"rejectsOut\":" << app.rejectsOut()
            << ",\"received\":" << app.countsJson() << ",\"complete\":" << (complete ? "true" : "false")
            << ",\"loggedOn\":true}}";
    out.line(summary.str());
    if (outcome == Outcome::Rejected) return 4;
    return complete ? 0 : 3;
  } catch (std::exception& e) {
    out.line("{\"error\":" + qfjson::quote(e.what()) + "}");
    return 1;
  }
}
