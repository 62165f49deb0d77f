// Matches events against EventBridge patterns with AWS Event Ruler, the
// open-source engine behind EventBridge rules (test/support/ruler.ts runs it).
//
// stdin: a JSON array of jobs {"rules": {"<name>": <pattern>, ...}, "events": [<event>, ...]}
// stdout: a JSON array with, per job, per event, the sorted names of the rules that match it.
// An invalid pattern or input exits 1 with the reason on stderr.
//
// test/support/ruler.ts compiles it once into the cache; it also runs as a single-file source program
// (Java 11+): java -cp '<jars dir>/*' Match.java < jobs.json
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import software.amazon.event.ruler.Machine;

public class Match {
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode jobs = json.readTree(System.in);
    if (jobs == null || !jobs.isArray()) fail("stdin: expected a JSON array of {rules, events} jobs");
    ArrayNode out = json.createArrayNode();
    for (JsonNode job : jobs) {
      Machine machine = Machine.builder().build();
      Iterator<Map.Entry<String, JsonNode>> rules = job.path("rules").fields();
      while (rules.hasNext()) {
        Map.Entry<String, JsonNode> rule = rules.next();
        try {
          machine.addRule(rule.getKey(), json.writeValueAsString(rule.getValue()));
        } catch (Exception e) {
          fail("rule " + rule.getKey() + " is not a valid pattern: " + e.getMessage());
        }
      }
      ArrayNode perEvent = out.addArray();
      for (JsonNode event : job.path("events")) {
        List<String> names = new ArrayList<>(machine.rulesForJSONEvent(json.writeValueAsString(event)));
        Collections.sort(names);
        ArrayNode matched = perEvent.addArray();
        names.forEach(matched::add);
      }
    }
    System.out.println(json.writeValueAsString(out));
  }

  private static void fail(String message) {
    System.err.println("Match: " + message);
    System.exit(1);
  }
}
