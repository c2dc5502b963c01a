// Types for the parts of kong-pdk 0.6.0's plugin server (plain JavaScript, no typings) that the
// launcher extends. Only what we use is declared.

declare module 'kong-pdk/cli' {
  export interface CliOptions {
    kongPrefix: string;
    sockName: string;
    pluginsDirectory: string;
    DumpPluginInfo?: string;
    DumpAllPlugins?: boolean;
    verbose: number;
    logLevel: 'info' | 'debug';
  }
  /** Parses process.argv with kong-js-pluginserver's options (commander; exits on --help/--version/errors). */
  export function parse(dedicated?: boolean): CliOptions;
}

declare module 'kong-pdk/lib/mod' {
  export class Instance {
    readonly name: string;
    isExpired(ttlSeconds?: number): boolean;
    resetExpireTs(): unknown;
    executePhase(phase: string, kong: unknown): unknown;
    close(): void;
  }
}

declare module 'kong-pdk/server' {
  import type { Instance } from 'kong-pdk/lib/mod';

  namespace Server {
    interface Logger {
      debug(...args: unknown[]): void;
      info(...args: unknown[]): void;
      warn(...args: unknown[]): void;
      error(...args: unknown[]): void;
    }
    /** What HandleEvent and the Step methods answer: "ret" or the next PDK call. */
    interface EventReply {
      Data: 'ret' | { Method: string; Args: unknown[] };
      EventId: number;
    }
    /** What StartInstance and CloseInstance answer (Config: the instance's config as parsed). */
    interface InstanceStatus {
      Name: string;
      Id: number;
      Config: unknown;
      StartTime?: number;
    }
    interface PluginInfo {
      Name: string;
      Version: unknown;
      Phases: string[];
      Priority: number;
      Schema: unknown;
    }
  }

  class Server {
    constructor(pluginDir: string | undefined, logger: Server.Logger, expireTtl?: number);
    protected readonly instances: Map<number, Instance>;
    /** Per event, whatever the event core keeps (HardenedServer: an EventExchange). */
    protected readonly events: Map<number, unknown>;
    protected eventID: number;
    protected instanceID: number;
    protected clearExpiredPluginsTimer: NodeJS.Timeout | undefined;
    protected clearExpiredPlugins(ttl: number): NodeJS.Timeout | undefined;
    /** PluginServerError: Kong matches the text of its messages ("no plugin instance"). */
    get Error(): new (message: string) => Error;
    close(): void;
    getLogger(): Server.Logger;
    getPlugins(): Map<string, { getSchema(): unknown }>;
    GetPluginInfo(name: string): Promise<Server.PluginInfo>;
    StartInstance(cfg: { Name: string; Config: string }): Promise<Server.InstanceStatus>;
    CloseInstance(iid: number): Promise<Server.InstanceStatus>;
    HandleEvent(event: { InstanceId: number; EventName: string }): Promise<Server.EventReply>;
    protected step(data: { EventId: number; Data?: unknown }, isError: boolean): Promise<Server.EventReply>;
  }
  export = Server;
}
