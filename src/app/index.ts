export { App, type TimerOptions, type CrontabOptions, type InferHandlerOutput } from './app.js';
export { Agent, StreamSource, type AgentOptions, type AgentHandler, type AgentSource, type AskOptions, type ErrorPolicy, type InferAgentOutput } from './agent.js';
export { Stream, type Event, type TakeOptions, type GroupByOptions, type Processor } from './stream.js';
export { Topic, Channel, type Message, type Sink, type SendTarget } from './topic.js';
export { type AppSettings, type ProcessingGuarantee } from './settings.js';
export { type Clock, systemClock, SimulatedClock } from './clock.js';
export type { EventContext } from './hooks.js';
export { runWorker } from './worker.js';
