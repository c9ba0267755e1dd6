import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** PostgreSQL bigint: read as a string (byte counters pass 2^53 on a long session). */
type Bigint = ColumnType<string, number | string | bigint, number | string | bigint>;

/** The RADIUS tables of the county role (FreeRADIUS asks the county through src/county/radius/api.ts). */
export interface RadiusTables {
  /** A NAS (access point controller, VPN concentrator) allowed to ask FreeRADIUS, with its shared secret. */
  county_radius_clients: {
    id: string;
    tenant: string;
    name: string;
    address: string;
    /** The shared secret, sealed under the installation secret (FreeRADIUS needs it in clear). */
    secret_sealed: string;
    created_by: string;
    created_at: Generated<Date>;
  };
  /** One network session of an account (Accounting-Start … Stop). */
  county_radius_sessions: {
    id: Generated<string>;
    tenant: string;
    account_id: string;
    username: string;
    nas: string;
    acct_session_id: string;
    calling_station_id: string | null;
    framed_ip: string | null;
    started_at: Timestamp;
    updated_at: Timestamp;
    stopped_at: NullableTimestamp;
    input_bytes: Bigint;
    output_bytes: Bigint;
    terminate_cause: string | null;
  };
  /**
   * A device (keyed hash of its Calling-Station-Id) an account authenticated from: attempts from it
   * spend a budget of their own, like a browser's device cookie on the web login.
   */
  county_radius_devices: {
    account_id: string;
    station_hash: string;
    last_success_at: Timestamp;
  };
  /** What the portal tells a county's teachers about Wi-Fi and VPN, and the CA certificate to install. */
  county_radius_settings: {
    tenant: string;
    /** The RADIUS realm (`cyc.edu.tw`); null: the mail domain without `mail.`. */
    realm: string | null;
    ssid: string;
    vpn_host: string;
    ca_certificate: string | null;
    updated_at: Generated<Date>;
  };
}
