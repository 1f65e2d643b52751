/*
 * Starts Amazon's DynamoDB Local exactly as its own ServerRunner does, but listening on
 * 127.0.0.1 only: DynamoDB Local has no option for the address (its Jetty server binds every
 * interface), and a developer's tables must not be reachable from the network. Run in Java's
 * source-file mode (java LoopbackDynamoDB.java ...), so nothing is compiled ahead of time.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDB {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector c : server.getConnectors()) if (c instanceof ServerConnector) ((ServerConnector) c).setHost("127.0.0.1");
    proxy.start();
  }
}
