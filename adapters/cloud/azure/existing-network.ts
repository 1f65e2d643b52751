import type { NetworkManagementClient, Subnet } from '@azure/arm-network';
import { CloudError, type ExistingNetwork } from '../../../core/cloud.js';
import { isNotFound, toCloudError } from './errors.js';

/**
 * Checks of a network the cluster brings. Strata reads it and changes nothing in it: no subnet,
 * route or NAT gateway, no security group on its subnets (the cluster's NSGs sit on each NIC),
 * and no tag, so a shared group's tag-driven deletion can never reach it.
 */

const SUBNET_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i;
const ROUTE_TABLE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/routeTables\/([^/]+)$/i;

/** A subnet id's parts, or undefined when it is not one. */
export function subnetParts(id: string): { resourceGroup: string; vnet: string; subnet: string } | undefined {
  const m = SUBNET_ID.exec(id);
  return m ? { resourceGroup: m[2]!, vnet: m[3]!, subnet: m[4]! } : undefined;
}

/** The route table a subnet names, if any. */
export function routeTableOf(subnet: Subnet): { resourceGroup: string; name: string } | undefined {
  const m = subnet.routeTable?.id ? ROUTE_TABLE_ID.exec(subnet.routeTable.id) : null;
  return m ? { resourceGroup: m[2]!, name: m[3]! } : undefined;
}

/**
 * Every zone's subnet exists in the named network, in this subscription (a NIC cannot join another
 * subscription's network), and, when nodes have no address of their own, has a way out: a NAT
 * gateway or a route table with a default route. Each failure names the subnet and is not retryable.
 * Returns the subnets as read, by the ids the network names them with.
 */
export async function checkExistingSubnets(
  network: NetworkManagementClient,
  subscriptionId: string,
  existing: ExistingNetwork,
  zones: readonly string[],
  needsRouteOut: boolean,
): Promise<Map<string, Subnet>> {
  for (const zone of zones) {
    if (!existing.subnets[zone]) throw new CloudError('InvalidParameter', `the cluster's network names no subnet for zone ${zone}`, false);
  }
  const subnetIds = [...new Set(zones.map((zone) => existing.subnets[zone]!))];
  const read = new Map<string, Subnet>();
  for (const id of subnetIds) {
    const m = SUBNET_ID.exec(id);
    if (!m) throw new CloudError('InvalidParameter', `${id}: not a subnet resource id (/subscriptions/…/virtualNetworks/<name>/subnets/<name>)`, false);
    const [, sub, rg, vnet, name] = m as unknown as [string, string, string, string, string];
    if (!id.toLowerCase().startsWith(`${existing.networkId.toLowerCase().replace(/\/+$/, '')}/subnets/`)) {
      throw new CloudError('InvalidParameter', `subnet ${id} is not in the cluster's network ${existing.networkId}`, false);
    }
    if (sub.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw new CloudError('InvalidParameter', `subnet ${id} is in subscription ${sub}; the cluster's NICs can only join a network of subscription ${subscriptionId}`, false);
    }
    const subnet = await getSubnet(network, rg, vnet, name, id);
    if (needsRouteOut && !(await hasRouteOut(network, subnet))) {
      throw new CloudError(
        'SubnetHasNoRouteOut',
        `subnet ${id} has no way out to the internet: give it a NAT gateway or a route table with a 0.0.0.0/0 route (nodes pull images and packages)`,
        false,
      );
    }
    read.set(id, subnet);
  }
  return read;
}

async function getSubnet(network: NetworkManagementClient, rg: string, vnet: string, name: string, id: string): Promise<Subnet> {
  try {
    return await network.subnets.get(rg, vnet, name);
  } catch (e) {
    // The subnet, its network or its group: whichever is missing, the subnet is.
    if (isNotFound(e)) throw new CloudError('SubnetNotFound', `subnet ${id} of the cluster's network does not exist (${toCloudError(e).message})`, false);
    throw toCloudError(e);
  }
}

async function hasRouteOut(network: NetworkManagementClient, subnet: Subnet): Promise<boolean> {
  if (subnet.natGateway?.id) return true;
  const table = routeTableOf(subnet);
  if (!table) return false;
  let routes;
  try {
    routes = (await network.routeTables.get(table.resourceGroup, table.name)).routes ?? [];
  } catch (e) {
    if (isNotFound(e)) return false;
    throw toCloudError(e);
  }
  // A default route to 'None' drops the traffic: that is no way out.
  return routes.some((r) => r.addressPrefix === '0.0.0.0/0' && r.nextHopType !== 'None');
}
