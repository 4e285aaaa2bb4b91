import { App } from "cdktf";
import { ClusterStack } from "./cluster-stack";

const app = new App();
new ClusterStack(app, "cluster");
app.synth();
