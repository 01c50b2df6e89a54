// Creates or updates a SCRAM-SHA-256 and a SCRAM-SHA-512 credential for one user
// through the Admin API. kafka.sh runs it as a single-file source program
// (`java -cp "libs/*" kafka-scram-users.java FILE`) once the broker answers: the
// broker's Maven jars have no kafka-configs tool (it lives in kafka-tools from
// 4.1 on), and StorageTool's --add-scram only works on storage being formatted.
// FILE is a properties file (mode 600) with bootstrap.servers, user and password,
// so the password never appears on a command line.
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;

public class KafkaScramUsers {
  // Kafka's minimum for SCRAM-SHA-512 is 4096; 8192 is what its own tools suggest.
  private static final int ITERATIONS = 8192;

  public static void main(String[] args) throws Exception {
    Properties settings = new Properties();
    try (Reader reader = Files.newBufferedReader(Path.of(args[0]))) {
      settings.load(reader);
    }
    String user = settings.getProperty("user");
    String password = settings.getProperty("password");
    Properties config = new Properties();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.getProperty("bootstrap.servers"));
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(config)) {
      // One mechanism per request: the broker refuses two alterations of one user in one request.
      for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
        admin.alterUserScramCredentials(List.of(
            new UserScramCredentialUpsertion(user, new ScramCredentialInfo(mechanism, ITERATIONS), password)))
            .all().get(30, TimeUnit.SECONDS);
      }
      UserScramCredentialsDescription stored = admin.describeUserScramCredentials(List.of(user))
          .description(user).get(30, TimeUnit.SECONDS);
      if (stored.credentialInfos().size() != 2) {
        throw new IllegalStateException("expected 2 SCRAM credentials for " + user + ", found " + stored.credentialInfos());
      }
      System.out.println("SCRAM credentials of " + user + ": " + stored.credentialInfos());
    }
  }
}
