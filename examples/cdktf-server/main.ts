/**
 * CDKTF app for tokenplane's own Terraform provider. cdktf.json points at examples/cdktf (the
 * Kubernetes path); synthesize this one with:
 *   npx cdktf synth --app "node --import tsx examples/cdktf-server/main.ts"
 */
import { App } from "cdktf";
import { ServerTokensStack } from "./stack.js";

const app = new App();
new ServerTokensStack(app, "tokenplane-server-example");
app.synth();
